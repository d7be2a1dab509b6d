package io.opnp.io;

import io.opnp.BadInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Write-then-commit for job outputs (as Spark's output committers): everything is written under a
 * hidden staging path beside the target and renamed into place only when complete, so a crashed
 * run never leaves a half-written output. Existing outputs are replaced only when asked.
 */
public final class Outputs {
  private Outputs() {}

  /** Fails before any work when {@code target} exists and overwriting was not asked for. */
  public static void checkWritable(Configuration conf, String target, boolean overwrite) {
    try {
      Path p = new Path(target);
      if (!overwrite && p.getFileSystem(conf).exists(p)) {
        throw new BadInputException("output " + target + " already exists; pass --overwrite to replace it "
            + "or choose another output path");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check output " + target, e);
    }
  }

  /** A fresh staging path beside {@code target}, hidden from readers by its leading dot. */
  public static String staging(String target) {
    Path p = new Path(target);
    return new Path(p.getParent(), "." + p.getName() + ".tmp-" + UUID.randomUUID()).toString();
  }

  /** Moves the complete {@code staging} into place, replacing {@code target} if overwriting. */
  public static void commit(Configuration conf, String staging, String target, boolean overwrite) {
    try {
      Path src = new Path(staging);
      Path dst = new Path(target);
      FileSystem fs = dst.getFileSystem(conf);
      if (fs.exists(dst)) {
        if (!overwrite) {
          throw new BadInputException("output " + target + " appeared while the job ran; pass --overwrite "
              + "to replace it or choose another output path (the result is kept at " + staging + ")");
        }
        fs.delete(dst, true);
      }
      if (dst.getParent() != null) {
        fs.mkdirs(dst.getParent());
      }
      if (!fs.rename(src, dst)) {
        throw new IOException("rename " + staging + " -> " + target + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot commit output " + target, e);
    }
  }

  /** Best-effort removal of a staging path after a failure. */
  public static void abort(Configuration conf, String staging) {
    try {
      Path p = new Path(staging);
      p.getFileSystem(conf).delete(p, true);
    } catch (IOException | RuntimeException ignored) {
      // The staging path is hidden and unique; a leftover one is harmless.
    }
  }

  /** Writes a small text file in place (for files inside a staging directory). */
  public static void create(Configuration conf, String path, String content) {
    try {
      Path p = new Path(path);
      try (OutputStream out = p.getFileSystem(conf).create(p, false)) {
        out.write(content.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
  }

  /** Whether {@code path} exists. */
  public static boolean exists(Configuration conf, String path) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(conf).exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + path, e);
    }
  }

  /** Deletes {@code path} if it exists. */
  public static void delete(Configuration conf, String path) {
    try {
      Path p = new Path(path);
      p.getFileSystem(conf).delete(p, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path, e);
    }
  }

  /** Writes a small text file through a staging file and a rename. */
  public static void writeText(Configuration conf, String target, String content, boolean overwrite) {
    String staging = staging(target);
    try {
      Path p = new Path(staging);
      FileSystem fs = p.getFileSystem(conf);
      if (p.getParent() != null) {
        fs.mkdirs(p.getParent());
      }
      try (OutputStream out = fs.create(p, false)) {
        out.write(content.getBytes(StandardCharsets.UTF_8));
      }
      commit(conf, staging, target, overwrite);
    } catch (IOException e) {
      abort(conf, staging);
      throw new UncheckedIOException("cannot write " + target, e);
    } catch (RuntimeException e) {
      abort(conf, staging);
      throw e;
    }
  }
}
