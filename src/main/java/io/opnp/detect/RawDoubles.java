package io.opnp.detect;

import io.opnp.BadInputException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Arrays of doubles as raw big-endian float64 files on any Hadoop file system: large state, never boxed. */
final class RawDoubles {
  private RawDoubles() {}

  /** The arrays one after the other, so one file holds a record of several without a concatenated copy. */
  static void write(Configuration conf, String path, double[]... arrays) {
    Path p = new Path(path);
    try (var out = new DataOutputStream(new BufferedOutputStream(p.getFileSystem(conf).create(p, false), 1 << 20))) {
      for (double[] values : arrays) {
        for (double v : values) {
          out.writeDouble(v);
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot write " + path, e);
    }
  }

  /** Exactly {@code count} values; fails naming the file when it holds another number of bytes. */
  static double[] read(Configuration conf, String path, long count) {
    Path p = new Path(path);
    try {
      FileSystem fs = p.getFileSystem(conf);
      long length = fs.exists(p) ? fs.getFileStatus(p).getLen() : -1;
      if (length != 8 * count) {
        throw new BadInputException(path + " holds " + Math.max(0, length) + " bytes, expected " + 8 * count
            + "; the detector bundle is damaged: write it again with opnp evaluate");
      }
      double[] out = new double[Math.toIntExact(count)];
      try (var in = new DataInputStream(new BufferedInputStream(fs.open(p), 1 << 20))) {
        for (int i = 0; i < out.length; i++) {
          out[i] = in.readDouble();
        }
      }
      return out;
    } catch (IOException e) {
      throw new BadInputException("cannot read " + path + " (" + e.getMessage() + ")", e);
    }
  }
}
