package io.opnp.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.cli.JobOptionsAccess;
import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.data.Preprocess;
import io.opnp.io.SensitivityStore;
import io.opnp.math.Sensitivity;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/** The sensitivity job on real Fashion-MNIST images and the committed model, in a real local[2] session. */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class SensitivityJobTest {
  private static final int IMAGES = 1200;
  private static SparkSession spark;
  private static InferenceConfig cfg;
  private static Dataset<Row> train;

  @TempDir
  Path tmp;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.get();
    Path model = TestData.demoModel();
    cfg = new InferenceConfig(JobOptionsAccess.stage(model), "fc.weight", "fc.bias",
        Preprocess.grey(28, 28), 128, 1, 1.0, false);
    DatasetSpec spec = DatasetSpec.parse("fm-train=idx:" + TestData.fashionTrainImages());
    train = DatasetReader.read(spark, spec, IMAGES, 2).cache();
  }

  @Test
  void resultDoesNotDependOnTheNumberOfPartitions() {
    Sensitivity one = SensitivityJob.run(spark, cfg, train.repartition(1));
    Sensitivity two = SensitivityJob.run(spark, cfg, train.repartition(2));
    Sensitivity three = SensitivityJob.run(spark, cfg, train.repartition(3));
    Sensitivity seven = SensitivityJob.run(spark, cfg, train.repartition(7));
    assertEquals(IMAGES, one.count());
    assertEquals(IMAGES, seven.count());
    assertTrue(one.maxRelativeDifference(two) <= 1e-12, "1 vs 2: " + one.maxRelativeDifference(two));
    assertTrue(one.maxRelativeDifference(three) <= 1e-12, "1 vs 3: " + one.maxRelativeDifference(three));
    assertTrue(one.maxRelativeDifference(seven) <= 1e-12, "1 vs 7: " + one.maxRelativeDifference(seven));
    // Not trivially equal: the sensitivities vary across weights and neurons.
    double[] mo = one.neuron();
    assertTrue(java.util.Arrays.stream(mo).max().getAsDouble() > 2 * java.util.Arrays.stream(mo).min().getAsDouble());
  }

  @Test
  void cachedFeaturesGiveTheSameSensitivityAsTheImages() {
    Sensitivity fromImages = SensitivityJob.run(spark, cfg, train);
    String cache = tmp.resolve("cache").toString();
    io.opnp.math.LinearHead head = FeatureCacheJob.run(spark, cfg,
        FeatureCacheJob.Inputs.of(java.util.List.of(train)), java.util.List.of("fm-train"), cache, false).head();
    Sensitivity fromCache = SensitivityJob.fromFeatures(spark,
        FeatureCacheJob.read(spark, cache).where("dataset = 'fm-train'").repartition(5), head, 1.0, "m", "sha");
    assertEquals(IMAGES, fromCache.count());
    assertTrue(fromImages.maxRelativeDifference(fromCache) <= 1e-12,
        "images vs cache: " + fromImages.maxRelativeDifference(fromCache));
  }

  @Test
  void onePassWritesTheCacheAndSumsOnlyTheTrainingSetEqualToTheSensitivityJob() {
    Sensitivity separate = SensitivityJob.run(spark, cfg, train);
    Dataset<Row> other = DatasetReader.read(spark, DatasetSpec.parse("fm-test=idx:" + TestData.fashionTestImages()),
        300, 3);
    // The tasks' sums are merged on the executors from one file per partition, however many there are.
    for (int partitions : new int[] {1, 3, 7}) {
      String cache = tmp.resolve("fused-" + partitions).toString();
      FeatureCacheJob.Outcome fused = FeatureCacheJob.run(spark, cfg,
          FeatureCacheJob.Inputs.of(java.util.List.of(other, train.repartition(partitions))).withSensitivityOf("fm-train"),
          java.util.List.of("fm-test", "fm-train"), cache, false);
      assertEquals(IMAGES, fused.sensitivity().count(), partitions + " partitions");
      assertTrue(separate.maxRelativeDifference(fused.sensitivity()) <= 1e-12,
          partitions + " partitions, separate vs fused: " + separate.maxRelativeDifference(fused.sensitivity()));
      Dataset<Row> cached = FeatureCacheJob.read(spark, cache);
      assertEquals(IMAGES, cached.where("dataset = 'fm-train'").count());
      assertEquals(300, cached.where("dataset = 'fm-test'").count());
      // Nothing of the per-task sums is left beside the cache.
      try (var siblings = java.nio.file.Files.list(tmp)) {
        assertEquals(java.util.List.of(), siblings.map(x -> x.getFileName().toString())
            .filter(n -> n.contains("sensitivity-sums")).toList());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      if (partitions == 3) {
        // The cache the fused pass wrote gives the same sensitivity again, without the model.
        Sensitivity again = SensitivityJob.fromFeatures(spark, cached.where("dataset = 'fm-train'"), fused.head(), 1.0,
            "m", "sha");
        assertTrue(separate.maxRelativeDifference(again) <= 1e-12, "cache: " + separate.maxRelativeDifference(again));
      }
    }
  }

  @Test
  void savedSensitivityLoadsBackExactlyWithItsModelIdentity() {
    Sensitivity s = SensitivityJob.run(spark, cfg, train);
    String out = tmp.resolve("sens").toString();
    SensitivityStore.save(spark, s, out, false);
    Sensitivity back = SensitivityStore.load(spark, out);
    assertEquals(0.0, s.maxRelativeDifference(back));
    assertEquals(IMAGES, back.count());
    assertEquals("fmnist-resnet.pt", back.modelName());
    assertEquals(cfg.modelSha256(), back.modelSha256());
    assertEquals(1.0, back.temperature());
  }
}
