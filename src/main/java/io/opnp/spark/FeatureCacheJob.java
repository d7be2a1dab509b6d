package io.opnp.spark;

import io.opnp.io.Outputs;
import io.opnp.math.LinearHead;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the backbone once over several datasets and keeps what every later step needs: per image
 * its id, dataset, label, penultimate features h and logits f, as Parquet partitioned by dataset.
 * Changing the pruning plan or adding a baseline then never re-runs the model.
 */
public final class FeatureCacheJob {
  private static final Logger LOG = LoggerFactory.getLogger(FeatureCacheJob.class);

  public static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("dataset", DataTypes.StringType, false)
      .add("label", DataTypes.LongType, true)
      .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add("logits", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private FeatureCacheJob() {}

  /**
   * @param labelled datasets whose labels must be in [0, C) (in-distribution data)
   * @return the model's head, read and checked against the first batch
   */
  public static LinearHead run(SparkSession spark, InferenceConfig cfg, List<Dataset<Row>> datasets,
                               List<String> labelled, List<String> specs, String output, boolean overwrite) {
    var conf = spark.sparkContext().hadoopConfiguration();
    Outputs.checkWritable(conf, output, overwrite);
    LinearHead head = ModelHeads.checkedHead(spark, cfg, datasets.get(0), "first dataset", false);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<LinearHead> headB = jsc.broadcast(head);
    Dataset<Row> all = datasets.get(0);
    for (int i = 1; i < datasets.size(); i++) {
      all = all.unionByName(datasets.get(i));
    }
    String staging = Outputs.staging(output);
    long start = System.nanoTime();
    try {
      jsc.setJobDescription("opnp features: run the model once over every dataset, cache h and logits");
      JavaRDD<Row> rows = all.javaRDD().mapPartitions(new Extract(cfg, headB, new ArrayList<>(labelled)));
      spark.createDataFrame(rows, SCHEMA).write().partitionBy("dataset").parquet(staging);
      // Which model and datasets made this cache; Spark's readers skip files starting with "_".
      Outputs.create(conf, staging + "/" + IDENTITY, identity(cfg.modelSha256(), specs));
      Outputs.commit(conf, staging, output, overwrite);
    } finally {
      Outputs.abort(conf, staging);
      jsc.setJobDescription(null);
      headB.destroy();
    }
    LOG.info("feature cache written to {} in {} s", output, String.format("%.1f", (System.nanoTime() - start) / 1e9));
    return head;
  }

  public static final String IDENTITY = "_opnp_cache.txt";

  /** The identity line of a cache: the model's SHA-256 and the dataset specs, in order. */
  public static String identity(String modelSha256, List<String> specs) {
    return "model_sha256=" + modelSha256 + "\ndatasets=" + String.join(" ", specs) + "\n";
  }

  /** Reads a cache back with its schema (dataset names stay strings). */
  public static Dataset<Row> read(SparkSession spark, String path) {
    return spark.read().schema(SCHEMA).parquet(path);
  }

  static final class Extract implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    private final InferenceConfig cfg;
    private final Broadcast<LinearHead> head;
    private final List<String> labelled;

    Extract(InferenceConfig cfg, Broadcast<LinearHead> head, List<String> labelled) {
      this.cfg = cfg;
      this.head = head;
      this.labelled = labelled;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      LinearHead h = head.value();
      BatchRunner runner = new BatchRunner(cfg);
      TaskContext tc = TaskContext.get();
      if (tc != null) {
        tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> runner.close());
      }
      return new Iterator<>() {
        private final List<Row> ready = new ArrayList<>();
        private int next;
        private boolean done;

        @Override
        public boolean hasNext() {
          while (next >= ready.size() && !done) {
            ready.clear();
            next = 0;
            BatchRunner.Batch b = runner.next(rows);
            if (b == null) {
              done = true;
              if (tc == null) {
                runner.close();
              }
            } else if (b.count() > 0) {
              ModelHeads.checkShape(cfg, h, b);
              int d = h.dim();
              int c = h.classes();
              for (int k = 0; k < b.count(); k++) {
                if (labelled.contains(b.datasets()[k])) {
                  Labels.check(b.datasets()[k], b.ids()[k], b.labels()[k], c, true);
                }
                Float[] f = new Float[d];
                Float[] l = new Float[c];
                for (int j = 0; j < d; j++) {
                  f[j] = b.output().features()[k * d + j];
                }
                for (int i = 0; i < c; i++) {
                  l[i] = b.output().logits()[k * c + i];
                }
                ready.add(RowFactory.create(b.ids()[k], b.datasets()[k], b.labels()[k], f, l));
              }
            }
          }
          return next < ready.size();
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          return ready.get(next++);
        }
      };
    }
  }
}
