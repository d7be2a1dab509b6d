package io.opnp.bench;

import io.opnp.math.LinearHead;
import io.opnp.spark.FeatureCacheJob;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * A feature cache (the schema {@link FeatureCacheJob} writes) of synthetic data at any head shape,
 * made on the executors, for measuring evaluate at ImageNet's 2048 × 1000 without a backbone. Each
 * class has a prototype (a component shared by all classes plus a class-specific one); an ID feature
 * is {@code relu(prototype + noise)} (many entries zero, like post-ReLU pooled features), and the
 * head's class row points along the class-specific part, so energy separates ID from OOD,
 * imperfectly. OOD sets: {@code MIX} (between three classes' prototypes, the near kind) and
 * {@code FAR} (the mean of eight prototypes: little class signal). Every row is a pure function of
 * the seed, its set and its index, so a cache is the same however it is partitioned.
 */
public final class SyntheticCache {
  /** What a set's rows look like. */
  public enum Kind { ID, MIX, FAR }

  /** A set of the cache: its dataset name, kind and row count; ids are {@code name-<index>}, zero-padded. */
  public record Set(String name, Kind kind, long rows) implements Serializable {}

  // Chosen so the data are neither easy nor hopeless (1,500 rows per kind at 2048 x 1000): top-1
  // accuracy about 81 %, energy AUROC about 86 % (MIX) and 88 % (FAR), as ImageNet models give.
  static final double CLASS_SCALE = 0.4;
  static final double NOISE = 2.0;
  static final double WEIGHT_SCALE = 2.0;
  private static final int BATCH = 256;

  private SyntheticCache() {}

  /**
   * The class prototypes' pre-activations, C×D row-major: a component shared by all classes plus a
   * smaller class-specific one (so classes overlap, as real features of 1000 classes do).
   */
  static double[] prototypes(int classes, int dim, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] shared = new double[dim];
    for (int j = 0; j < dim; j++) {
      shared[j] = r.nextGaussian();
    }
    double[] p = new double[classes * dim];
    for (int i = 0; i < p.length; i++) {
      p[i] = shared[i % dim] + CLASS_SCALE * r.nextGaussian();
    }
    return p;
  }

  /** The head: each class's weights its prototype (centred, scaled) plus a little noise; biases small. */
  public static LinearHead head(int classes, int dim, long seed) {
    double[] p = prototypes(classes, dim, seed);
    SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
    double[] w = new double[classes * dim];
    double scale = WEIGHT_SCALE / Math.sqrt(dim);
    // Centred over the classes, per neuron: the part all classes share moves every logit alike.
    double[] mean = new double[dim];
    for (int i = 0; i < classes; i++) {
      for (int j = 0; j < dim; j++) {
        mean[j] += Math.max(0, p[i * dim + j]) / classes;
      }
    }
    for (int i = 0; i < classes; i++) {
      for (int j = 0; j < dim; j++) {
        w[i * dim + j] = scale * (3 * (Math.max(0, p[i * dim + j]) - mean[j]) + 0.3 * r.nextGaussian());
      }
    }
    double[] b = new double[classes];
    for (int i = 0; i < classes; i++) {
      b[i] = 0.05 * r.nextGaussian();
    }
    return new LinearHead(classes, dim, w, b);
  }

  /**
   * Writes the sets as a feature cache at {@code path} (Parquet partitioned by dataset), the rows
   * made and their logits computed on the executors in slices of {@code rowsPerTask}.
   */
  public static void write(SparkSession spark, LinearHead head, List<Set> sets, long seed, int rowsPerTask,
                           String path) {
    List<long[]> slices = new ArrayList<>();  // {set index, first row, rows}
    for (int s = 0; s < sets.size(); s++) {
      for (long first = 0; first < sets.get(s).rows(); first += rowsPerTask) {
        slices.add(new long[] {s, first, Math.min(rowsPerTask, sets.get(s).rows() - first)});
      }
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<LinearHead> headB = jsc.broadcast(head);
    try {
      jsc.setJobDescription("synthetic feature cache: " + sets.size() + " sets at " + head.classes() + "x" + head.dim());
      spark.createDataFrame(jsc.parallelize(slices, slices.size())
              .mapPartitions(new Rows(new ArrayList<>(sets), headB, seed)), FeatureCacheJob.SCHEMA)
          .write().partitionBy("dataset").parquet(path);
    } finally {
      jsc.clearJobGroup();
      headB.destroy();
    }
  }

  /** One slice's rows, made and put through the head a batch at a time. */
  static final class Rows implements FlatMapFunction<Iterator<long[]>, Row> {
    private static final long serialVersionUID = 1L;
    private final ArrayList<Set> sets;
    private final Broadcast<LinearHead> head;
    private final long seed;

    Rows(ArrayList<Set> sets, Broadcast<LinearHead> head, long seed) {
      this.sets = sets;
      this.head = head;
      this.seed = seed;
    }

    @Override
    public Iterator<Row> call(Iterator<long[]> slicesOfTask) {
      LinearHead h = head.value();
      int c = h.classes();
      int d = h.dim();
      double[] protos = prototypes(c, d, seed);
      List<long[]> todo = new ArrayList<>();
      slicesOfTask.forEachRemaining(todo::add);
      return new Iterator<>() {
        private final double[] f = new double[BATCH * d];
        private final double[] l = new double[BATCH * c];
        private final List<Row> ready = new ArrayList<>(BATCH);
        private int slice;
        private long done;  // rows of the current slice made so far
        private int next;

        @Override
        public boolean hasNext() {
          while (next >= ready.size() && slice < todo.size()) {
            long[] s = todo.get(slice);
            if (done >= s[2]) {
              slice++;
              done = 0;
              continue;
            }
            int n = (int) Math.min(BATCH, s[2] - done);
            fill(sets.get((int) s[0]), s[1] + done, n);
            done += n;
          }
          return next < ready.size();
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          return ready.get(next++);
        }

        private void fill(Set set, long first, int n) {
          ready.clear();
          next = 0;
          Long[] labels = new Long[n];
          for (int k = 0; k < n; k++) {
            long index = first + k;
            SplittableRandom r = new SplittableRandom(seed * 31 + set.name().hashCode() * 1_000_003L + index);
            labels[k] = set.kind() == Kind.ID ? Long.valueOf(Math.floorMod(index * 7919, c)) : null;
            feature(set.kind(), labels[k], protos, c, d, r, f, k * d);
          }
          h.logits(f, n, l);
          int width = String.valueOf(Math.max(1, set.rows() - 1)).length();
          for (int k = 0; k < n; k++) {
            Float[] fb = new Float[d];
            Float[] lb = new Float[c];
            for (int j = 0; j < d; j++) {
              fb[j] = (float) f[k * d + j];
            }
            for (int i = 0; i < c; i++) {
              lb[i] = (float) l[k * c + i];
            }
            String id = set.name() + "-" + String.format("%0" + width + "d", first + k);
            ready.add(RowFactory.create(id, set.name(), labels[k], fb, lb));
          }
        }
      };
    }
  }

  static void feature(Kind kind, Long label, double[] protos, int c, int d, SplittableRandom r, double[] out,
                      int offset) {
    switch (kind) {
      case ID -> {
        int base = (int) (long) label * d;
        for (int j = 0; j < d; j++) {
          out[offset + j] = Math.max(0, protos[base + j] + NOISE * r.nextGaussian());
        }
      }
      case MIX -> {  // between three classes: each of their logits gets a third of the class signal
        int a = r.nextInt(c) * d;
        int b = r.nextInt(c) * d;
        int e = r.nextInt(c) * d;
        for (int j = 0; j < d; j++) {
          double m = (protos[a + j] + protos[b + j] + protos[e + j]) / 3;
          out[offset + j] = Math.max(0, m + NOISE * r.nextGaussian());
        }
      }
      case FAR -> {  // the mean of eight classes: little class signal left
        java.util.Arrays.fill(out, offset, offset + d, 0);
        for (int q = 0; q < 8; q++) {
          int a = r.nextInt(c) * d;
          for (int j = 0; j < d; j++) {
            out[offset + j] += protos[a + j] / 8;
          }
        }
        for (int j = 0; j < d; j++) {
          out[offset + j] = Math.max(0, out[offset + j] + NOISE * r.nextGaussian());
        }
      }
      default -> throw new IllegalArgumentException("unknown kind " + kind);
    }
  }
}
