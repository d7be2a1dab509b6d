package io.opnp.spark;

import io.opnp.math.SensitivityAccumulator;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The per-task C×D sums of a job whose output is something else (the one-pass feature cache), kept
 * beside the output and merged on the executors by a {@code treeAggregate}: the driver receives a
 * handful of matrices however many tasks there were (an accumulator would ship every task's 16 MB
 * at ResNet-50's head to the driver). One file per partition, replaced atomically by a retried or
 * speculative attempt, so every partition counts exactly once.
 */
public final class TaskSums {
  private static final String PREFIX = "part-";

  private TaskSums() {}

  /** Saves one partition's sums as {@code dir/part-NNNNN} (called by the task, at the end of its partition). */
  public static void save(Broadcast<SerializableConfiguration> conf, String dir, int partition, long attempt,
                          SensitivityAccumulator sums) {
    Path target = new Path(dir, String.format("%s%05d", PREFIX, partition));
    Path tmp = new Path(dir, String.format(".%s%05d-%d", PREFIX, partition, attempt));
    try {
      FileSystem fs = target.getFileSystem(conf.value().value());
      try (ObjectOutputStream out = new ObjectOutputStream(new BufferedOutputStream(fs.create(tmp, true), 1 << 20))) {
        out.writeObject(sums);
      }
      // A retried or speculative attempt of the same partition holds the same sums: the last rename wins.
      fs.delete(target, false);
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename " + tmp + " -> " + target + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the sensitivity sums of partition " + partition + " in " + dir, e);
    }
  }

  /** Every saved partition's sums added on the executors; the driver receives only the tree's last level. */
  public static SensitivityAccumulator merge(JavaSparkContext jsc, String dir, int classes, int dim,
                                             double temperature) {
    List<String> files = new ArrayList<>();
    try {
      Path p = new Path(dir);
      FileSystem fs = p.getFileSystem(jsc.hadoopConfiguration());
      if (fs.exists(p)) {
        for (FileStatus s : fs.listStatus(p, f -> f.getName().startsWith(PREFIX))) {
          files.add(s.getPath().toString());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the sensitivity sums in " + dir, e);
    }
    SensitivityAccumulator zero = new SensitivityAccumulator(classes, dim, temperature);
    if (files.isEmpty()) {
      return zero;
    }
    Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
    try {
      int slices = Math.min(files.size(), 4 * jsc.defaultParallelism());
      java.util.Collections.sort(files);  // a listing's order is the file system's: merged in name order
      SensitivityAccumulator sums = OrderedReduce.reduce(jsc.parallelize(files, slices).map(f -> load(conf, f)),
          SensitivityAccumulator::merge);
      return sums == null ? zero : sums;
    } finally {
      conf.destroy();
    }
  }

  static SensitivityAccumulator load(Broadcast<SerializableConfiguration> conf, String file) throws IOException {
    Path p = new Path(file);
    FileSystem fs = p.getFileSystem(conf.value().value());
    try (ObjectInputStream in = new ObjectInputStream(new BufferedInputStream(fs.open(p), 1 << 20))) {
      return (SensitivityAccumulator) in.readObject();
    } catch (ClassNotFoundException e) {
      throw new IOException("not a sensitivity sums file: " + file, e);
    }
  }
}
