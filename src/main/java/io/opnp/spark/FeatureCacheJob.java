package io.opnp.spark;

import io.opnp.io.Outputs;
import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.math.SensitivityAccumulator;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import io.opnp.data.ValidationProxy;
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
import org.apache.spark.util.SerializableConfiguration;
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

  /** What one pass produced: the model's head and, when asked for, the training set's sensitivity. */
  public record Outcome(LinearHead head, Sensitivity sensitivity, long skipped) {}

  /**
   * What one pass reads.
   *
   * @param datasets the rows, in {@link io.opnp.data.ImageSchema}
   * @param labelled datasets whose labels must be in [0, C) (in-distribution data)
   * @param proxies the validation proxy each proxy dataset's images are made into after decoding, by dataset name
   * @param sensitivityOf the dataset whose sensitivity sums are added in the same tasks; null: none
   */
  public record Inputs(List<Dataset<Row>> datasets, List<String> labelled, Map<String, ValidationProxy> proxies,
                       String sensitivityOf) {
    public Inputs {
      io.opnp.math.Check.argument(datasets != null && !datasets.isEmpty(), "a model pass needs a dataset");
      datasets = List.copyOf(datasets);
      labelled = labelled == null ? List.of() : List.copyOf(labelled);
      proxies = proxies == null ? Map.of() : Map.copyOf(proxies);
    }

    /** The datasets as they are: none labelled, no proxy, no sensitivity. */
    public static Inputs of(List<Dataset<Row>> datasets) {
      return new Inputs(datasets, List.of(), Map.of(), null);
    }

    public Inputs withLabelled(List<String> names) {
      return new Inputs(datasets, names, proxies, sensitivityOf);
    }

    public Inputs withSensitivityOf(String dataset) {
      return new Inputs(datasets, labelled, proxies, dataset);
    }
  }

  /**
   * One pass of the backbone over every dataset that writes the cache and, for the rows of dataset
   * {@code in.sensitivityOf()}, adds the sensitivity sums in the same tasks: the training set is decoded and run
   * through the model once for both.
   *
   * @param specs what made the cache (datasets), written beside it
   */
  public static Outcome run(SparkSession spark, InferenceConfig cfg, Inputs in, List<String> specs, String output,
                            boolean overwrite) {
    List<Dataset<Row>> datasets = in.datasets();
    String sensitivityOf = in.sensitivityOf();
    var conf = spark.sparkContext().hadoopConfiguration();
    Outputs.checkWritable(conf, output, overwrite);
    LinearHead head = ModelHeads.checkedHead(spark, cfg, datasets.get(0), "first dataset", false);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<LinearHead> headB = jsc.broadcast(head);
    Dataset<Row> all = datasets.get(0);
    for (int i = 1; i < datasets.size(); i++) {
      all = all.unionByName(datasets.get(i));
    }
    // Each task's sums go beside the output and are merged on the executors after the pass.
    String sumsDir = sensitivityOf == null ? null : Outputs.staging(output + "-sensitivity-sums");
    Broadcast<SerializableConfiguration> confB = jsc.broadcast(new SerializableConfiguration(conf));
    String staging = Outputs.staging(output);
    SensitivityAccumulator acc = null;
    long start = System.nanoTime();
    try {
      // Every dataset is read in this pass, not only the training set the sensitivity is summed over.
      Stages.describe(jsc, "opnp model pass over " + datasets.size() + " dataset(s): cache h and logits"
          + (sensitivityOf == null ? "" : "; sum |dE/dW|, |dE/dh| over " + sensitivityOf));
      JavaRDD<Row> rows = all.javaRDD().mapPartitions(
          new Extract(cfg, headB, in, confB, sumsDir));
      spark.createDataFrame(rows, SCHEMA).write().partitionBy("dataset").parquet(staging);
      // Which model and datasets made this cache; Spark's readers skip files starting with "_".
      Outputs.create(conf, staging + "/" + IDENTITY, identity(cfg.modelSha256(), specs));
      if (sumsDir != null) {
        Stages.describe(jsc, "opnp sensitivity: merge the tasks' sums on the executors");
        acc = TaskSums.merge(jsc, sumsDir, head.classes(), head.dim(), cfg.temperature());
      }
      Outputs.commit(conf, staging, output, overwrite);
    } finally {
      Outputs.abort(conf, staging);
      if (sumsDir != null) {
        Outputs.abort(conf, sumsDir);
      }
      Stages.clear(jsc);
      headB.destroy();
      confB.destroy();
    }
    LOG.info("feature cache written to {} in {} s", output, String.format("%.1f", (System.nanoTime() - start) / 1e9));
    if (sensitivityOf == null) {
      return new Outcome(head, null, 0);
    }
    if (acc.count() == 0) {
      throw new io.opnp.BadInputException("the training set " + sensitivityOf + " has no readable images; check its path");
    }
    return new Outcome(head, acc.result(cfg.modelName(), cfg.modelSha256()), acc.skipped());
  }

  public static final String IDENTITY = "_opnp_cache.txt";

  /** The identity line of a cache: the model's SHA-256 and the dataset specs, in order. */
  public static String identity(String modelSha256, List<String> specs) {
    return "model_sha256=" + modelSha256 + "\ndatasets=" + String.join(" ", specs) + "\n";
  }

  /** The identity text a cache was written with, or null when it has none. */
  public static String readIdentity(SparkSession spark, String cache) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(cache, IDENTITY);
      var fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(p)) {
        if (!fs.exists(p.getParent())) {
          throw new io.opnp.BadInputException("feature cache " + cache + " does not exist; fix the path");
        }
        return null;
      }
      try (var in = fs.open(p)) {
        return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
    } catch (java.io.IOException e) {
      throw new io.opnp.BadInputException("cannot read the feature cache " + cache + ": " + e.getMessage(), e);
    }
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
    private final RowLayout layout;
    private final String sensitivityOf;
    private final Broadcast<SerializableConfiguration> conf;
    private final String sumsDir;

    Extract(InferenceConfig cfg, Broadcast<LinearHead> head, Inputs in, Broadcast<SerializableConfiguration> conf,
            String sumsDir) {
      this.cfg = cfg;
      this.head = head;
      this.labelled = new ArrayList<>(in.labelled());
      this.layout = RowLayout.STANDARD.withProxies(in.proxies());
      this.sensitivityOf = in.sensitivityOf();
      this.conf = conf;
      this.sumsDir = sumsDir;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      return new Rows(this, rows);
    }
  }

  /** One partition's cache rows, a model batch at a time, and (for the training set) its sensitivity sums. */
  private static final class Rows extends ModelBatches<Row> {
    private final Extract job;
    private final LinearHead head;
    private final double[] weight;
    private final SensitivityAccumulator acc;
    private float[] subF = new float[0];
    private float[] subL = new float[0];

    Rows(Extract job, Iterator<Row> rows) {
      super(job.cfg, job.layout, rows);
      this.job = job;
      this.head = job.head.value();
      this.weight = head.weight();
      this.acc = job.sensitivityOf == null ? null
          : new SensitivityAccumulator(head.classes(), head.dim(), job.cfg.temperature());
    }

    @Override
    void emit(BatchRunner.Batch b, List<Row> ready) {
      if (acc != null) {
        acc.skip(b.skipped().stream().filter(x -> job.sensitivityOf.equals(x.dataset())).count());
      }
      if (b.count() == 0) {
        return;
      }
      ModelHeads.checkShape(job.cfg, head, b);
      if (acc != null) {
        addSums(b);
      }
      int d = head.dim();
      int c = head.classes();
      for (int k = 0; k < b.count(); k++) {
        if (job.labelled.contains(b.datasets()[k])) {
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

    @Override
    void finished() {
      if (acc != null) {  // once, when the partition is complete
        TaskContext tc = TaskContext.get();
        TaskSums.save(job.conf, job.sumsDir, tc == null ? 0 : tc.partitionId(), tc == null ? 0 : tc.taskAttemptId(),
            acc);
      }
    }

    /** Adds the batch's training-set rows (usually all or none of them) to the sums. */
    private void addSums(BatchRunner.Batch b) {
      int n = b.count();
      int d = head.dim();
      int c = head.classes();
      int m = 0;
      for (int k = 0; k < n; k++) {
        m += job.sensitivityOf.equals(b.datasets()[k]) ? 1 : 0;
      }
      if (m == n) {
        acc.add(b.output().features(), b.output().logits(), n, weight);
      } else if (m > 0) {
        if (subF.length < m * d) {
          subF = new float[m * d];
          subL = new float[m * c];
        }
        int j = 0;
        for (int k = 0; k < n; k++) {
          if (job.sensitivityOf.equals(b.datasets()[k])) {
            System.arraycopy(b.output().features(), k * d, subF, j * d, d);
            System.arraycopy(b.output().logits(), k * c, subL, j * c, c);
            j++;
          }
        }
        acc.add(subF, subL, m, weight);
      }
    }
  }
}
