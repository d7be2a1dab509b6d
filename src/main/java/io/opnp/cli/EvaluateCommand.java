package io.opnp.cli;

import io.opnp.BadInputException;
import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.eval.EvaluateJob;
import io.opnp.eval.PlanSweep;
import io.opnp.io.Outputs;
import io.opnp.io.SensitivityStore;
import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.model.HeadReader;
import io.opnp.report.OodReport;
import io.opnp.spark.ExecutorModels;
import io.opnp.spark.FeatureCacheJob;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.ProgressReporter;
import io.opnp.spark.Sessions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Cache features once, choose the OPNP plan on a validation split, score every method "
        + "(msp … opnp_ash) on the test sets, write metrics.json, report.md and plots/.")
final class EvaluateCommand implements Callable<Integer> {
  @Mixin
  JobOptions job;

  @Option(names = "--sensitivity", description = "output directory of a sensitivity job to use; default: compute "
      + "it in the feature pass (one model pass over the training set for both) and save it to OUTPUT/sensitivity")
  String sensitivity;

  @Option(names = "--train", required = true, description = "ID training set (fits the baselines' statistics)")
  String train;

  @Option(names = "--train-limit", description = "use at most this many training images (default: all)")
  Integer trainLimit;

  @Option(names = "--val-id", required = true, description = "held-out ID images for choosing the plan")
  String valId;

  @Option(names = "--val-ood", required = true, description = "validation OOD set, none of the test OOD sets")
  String valOod;

  @Option(names = "--id-test", required = true, description = "ID test set")
  String idTest;

  @Option(names = "--ood", required = true, description = "a test OOD set; repeat for several")
  List<String> ood;

  @Option(names = "--output", required = true, description = "directory for metrics.json, report.md, plots/, scores-all/")
  String output;

  @Option(names = "--features", description = "feature cache directory (default: OUTPUT/features)")
  String features;

  @Option(names = "--reuse-features", description = "read an existing feature cache instead of running the model")
  boolean reuseFeatures;

  @Option(names = "--knn-bank-size", defaultValue = "20000", description = "training features in the KNN bank (default: ${DEFAULT-VALUE})")
  int knnBankSize;

  @Option(names = "--val-limit", defaultValue = "5000", description = "validation images per side for the sweep (default: ${DEFAULT-VALUE})")
  int valLimit;

  @Override
  public Integer call() {
    long start = System.nanoTime();
    List<DatasetSpec> specs = new ArrayList<>();
    for (String s : List.of(train, valId, valOod, idTest)) {
      specs.add(DatasetSpec.parse(s));
    }
    for (String o : ood) {
      specs.add(DatasetSpec.parse(o));
    }
    Set<String> names = new HashSet<>();
    for (DatasetSpec s : specs) {
      if (!names.add(s.name())) {
        throw new BadInputException("dataset name '" + s.name() + "' is used twice; give every dataset a distinct name");
      }
    }
    List<String> oodNames = specs.subList(4, specs.size()).stream().map(DatasetSpec::name).toList();
    InferenceConfig cfg = job.inference();
    if (cfg.skipBadImages()) {
      throw new BadInputException("--on-bad-image=skip is not supported by evaluate; replace or remove the unreadable "
          + "images (the sensitivity and score commands can skip them)");
    }
    SparkSession spark = Sessions.getOrCreate(job.master, "opnp-evaluate");
    String cache = features != null ? features : new Path(output, "features").toString();
    var conf = spark.sparkContext().hadoopConfiguration();
    // Every output is checked before the model runs, not after.
    for (String p : List.of("metrics.json", "metrics.md", "report.md", "plots", "scores-all")) {
      Outputs.checkWritable(conf, new Path(output, p).toString(), job.overwrite);
    }
    if (!reuseFeatures) {
      Outputs.checkWritable(conf, cache, job.overwrite);
    }
    if (sensitivity == null && reuseFeatures) {
      throw new BadInputException("--reuse-features needs --sensitivity DIR (the sensitivity saved by the run that "
          + "made the cache, e.g. OUTPUT/sensitivity)");
    }
    String sensOut = sensitivity == null ? new Path(output, "sensitivity").toString() : null;
    if (sensOut != null) {
      Outputs.checkWritable(conf, sensOut, job.overwrite);
    }
    List<String> specTexts = specs.stream().map(DatasetSpec::toString).toList();
    OodReport report;
    try (ProgressReporter progress = new ProgressReporter(spark, Long.getLong("opnp.progress.seconds", 10))) {
      Sensitivity sens = sensitivity == null ? null : SensitivityStore.load(spark, sensitivity);
      if (sens != null) {
        io.opnp.spark.ScoreJob.checkSensitivityFits(sens, cfg);
      }
      LinearHead head;
      if (reuseFeatures) {
        String found = FeatureCacheJob.readIdentity(spark, cache);
        String expected = FeatureCacheJob.identity(cfg.modelSha256(), specTexts);
        if (!expected.equals(found)) {
          throw new BadInputException("the feature cache " + cache + " was made by another model or from other "
              + "datasets (" + (found == null ? "no " + FeatureCacheJob.IDENTITY : found.replace('\n', ' ').trim())
              + "); rebuild it by leaving out --reuse-features");
        }
        head = HeadReader.read(ExecutorModels.model(cfg), cfg.weightParam(), cfg.biasParam());
      } else {
        List<Dataset<Row>> data = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
          int limit = i == 0 && trainLimit != null ? trainLimit : job.limitOrAll();
          data.add(DatasetReader.read(spark, specs.get(i), limit, job.partitions));
        }
        List<String> labelled = List.of(specs.get(0).name(), specs.get(1).name(), specs.get(3).name());
        FeatureCacheJob.Outcome pass = FeatureCacheJob.run(spark, cfg, data, labelled, specTexts, cache, job.overwrite,
            sens == null ? specs.get(0).name() : null);
        head = pass.head();
        if (sens == null) {
          sens = pass.sensitivity();
          SensitivityStore.save(spark, sens, sensOut, job.overwrite);
        }
      }
      EvaluateJob.Roles roles = new EvaluateJob.Roles(specs.get(0).name(), specs.get(1).name(), specs.get(2).name(),
          specs.get(3).name(), oodNames, knnBankSize, valLimit, new double[] {80, 85, 90, 95, 99});
      report = EvaluateJob.run(spark, sens, head, cache, roles, PlanSweep.grid(PlanSweep.RHO_W_MAX, PlanSweep.RHO_W_MIN,
          PlanSweep.RHO_O_MAX, PlanSweep.RHO_O_MIN), output, job.overwrite);
    }
    System.out.println();
    System.out.print(report.markdown());
    System.out.println();
    System.out.printf("opnp evaluate: ok; id %s (%d images), %d OOD set(s), %d methods, plan %s (from validation); "
            + "output %s (metrics.json, report.md, plots/); wall %.1f s%n", report.idDataset(), report.idCount(),
        oodNames.size(), report.results().size() / oodNames.size(), report.plan(), output,
        (System.nanoTime() - start) / 1e9);
    return 0;
  }
}
