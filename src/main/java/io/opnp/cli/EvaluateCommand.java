package io.opnp.cli;

import io.opnp.BadInputException;
import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.data.ValidationProxy;
import io.opnp.decision.Criterion;
import io.opnp.detect.DetectorBundle;
import io.opnp.eval.EvaluateJob;
import io.opnp.eval.ModelPass;
import io.opnp.eval.StageTimes;
import io.opnp.eval.PlanSweep;
import io.opnp.eval.Recommendation;
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
    description = "Cache features once, choose a detector and its threshold on validation data only (OOD proxies "
        + "made from --val-id), score every method (msp … opnp_ash) on the test sets, write metrics.json, report.md, "
        + "plots/ and the saved detector/.")
final class EvaluateCommand implements Callable<Integer> {
  /** The model pass's stage name in metrics.json's stage_seconds and report.md. */
  static final String MODEL_PASS = "model pass: decode, model, features and sensitivity";

  @Mixin
  JobOptions job;

  @Option(names = "--sensitivity", description = "output directory of a sensitivity job to use; default: compute "
      + "it in the feature pass (one model pass over the training set for both) and save it to OUTPUT/sensitivity")
  String sensitivity;

  @Option(names = "--train", required = true, description = "ID training set (fits the baselines' statistics)")
  String train;

  @Option(names = "--train-limit", description = "use at most this many training images (default: all)")
  Integer trainLimit;

  @Option(names = "--val-id", required = true, description = "held-out ID images (never trained on): half of them "
      + "(by id) choose the detector and are the source of the OOD proxies, the other half sets its threshold")
  String valId;

  @Option(names = "--val-ood", description = "an extra validation OOD set, none of the test OOD sets; repeat for several")
  List<String> valOod = new ArrayList<>();

  @Option(names = "--proxies", defaultValue = "shuffle,permute,blur,rotate,lfnoise", description = "validation OOD "
      + "proxies made from the --val-id images (shuffle, permute, blur, rotate, lfnoise, or none; default: "
      + "${DEFAULT-VALUE})")
  String proxies;

  @Option(names = "--select-by", defaultValue = "mean", description = "criterion over the proxies' AUROCs: mean or "
      + "worst (default: ${DEFAULT-VALUE})")
  String selectBy;

  @Option(names = "--choose", defaultValue = "fusion", description = "how the recommendation follows from the "
      + "validation ranking: fusion (the harmonic mean of the conformal p-values of the leading configurations "
      + "of the two method families best on their worst validation OOD set: a hedge against the proxies' bias) or best (the configuration "
      + "ranked first) (default: ${DEFAULT-VALUE})")
  String choose;

  @Option(names = "--min-class-coverage", defaultValue = "50", description = "percent of the classifier's classes "
      + "the --train images must hold for the methods fitted class by class (Mahalanobis, KNN, ViM and the other "
      + "distances) to be recommended; they call images of missing classes out-of-distribution. 0 when the ID data "
      + "is only the training images' classes (default: ${DEFAULT-VALUE})")
  double minClassCoverage;

  @Option(names = "--sweep", defaultValue = "auto", description = "OPNP plan search: grid (all 504 plans), "
      + "coordinate (one percentage at a time, about 60 plans), or auto: the grid unless it would take over "
      + "2 minutes on this driver (default: ${DEFAULT-VALUE})")
  String sweep;

  @Option(names = "--keep-id", defaultValue = "95", description = "percent of ID inputs the threshold keeps (default: "
      + "${DEFAULT-VALUE})")
  double keepId;

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

  @Option(names = "--knn-bank-size", defaultValue = "0", description = "training features in the KNN bank: 0 (the "
      + "default) takes the whole training set where it fits 1 GiB of float64 (131,072 rows at D = 1024), else a "
      + "seeded uniform sample of as many rows; a positive number caps it; with a sample, KNN's k is scaled by the "
      + "sampling ratio, as the KNN paper does")
  int knnBankSize;

  @Option(names = "--val-limit", defaultValue = "5000", description = "validation images per side for the sweep (default: ${DEFAULT-VALUE})")
  int valLimit;

  @Override
  public Integer call() {
    long start = System.nanoTime();
    List<DatasetSpec> specs = new ArrayList<>();
    for (String s : List.of(train, valId, idTest)) {
      specs.add(DatasetSpec.parse(s));
    }
    for (String o : ood) {
      specs.add(DatasetSpec.parse(o));
    }
    int userProxies = specs.size();
    for (String v : valOod) {
      specs.add(DatasetSpec.parse(v));
    }
    List<ValidationProxy> made = ValidationProxy.parseList(proxies);
    if (made.isEmpty() && valOod.isEmpty()) {
      throw new BadInputException("no validation OOD data: keep --proxies (made from --val-id) or give --val-ood");
    }
    if (!(keepId > 50 && keepId < 100)) {
      throw new BadInputException("--keep-id must be a percentage in (50, 100), got " + keepId);
    }
    EvaluateJob.SweepMode sweepMode;
    try {
      sweepMode = EvaluateJob.SweepMode.valueOf(sweep.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--sweep must be auto, grid or coordinate, got '" + sweep + "'", e);
    }
    Criterion criterion;
    try {
      criterion = Criterion.parse(selectBy);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--select-by: " + e.getMessage(), e);
    }
    io.opnp.decision.ChoiceRule rule;
    try {
      rule = io.opnp.decision.ChoiceRule.parse(choose);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--choose: " + e.getMessage(), e);
    }
    if (!(minClassCoverage >= 0 && minClassCoverage <= 100)) {
      throw new BadInputException("--min-class-coverage is a percentage in [0, 100], got " + minClassCoverage);
    }
    EvaluateJob.Decision decision = new EvaluateJob.Decision(keepId / 100, criterion,
        io.opnp.decision.FalseAlarmBootstrap.DEFAULT_RESAMPLES, sweepMode, rule, minClassCoverage / 100);
    Set<String> names = new HashSet<>();
    for (DatasetSpec s : specs) {
      if (!names.add(s.name())) {
        throw new BadInputException("dataset name '" + s.name() + "' is used twice; give every dataset a distinct name");
      }
    }
    List<String> oodNames = specs.subList(3, userProxies).stream().map(DatasetSpec::name).toList();
    List<String> proxyNames = new ArrayList<>();
    for (ValidationProxy p : made) {
      proxyNames.add(p.datasetName(specs.get(1).name()));
    }
    specs.subList(userProxies, specs.size()).forEach(v -> proxyNames.add(v.name()));
    InferenceConfig cfg = job.inference();
    if (cfg.skipBadImages()) {
      throw new BadInputException("--on-bad-image=skip is not supported by evaluate; replace or remove the unreadable "
          + "images (the sensitivity and score commands can skip them)");
    }
    SparkSession spark = Sessions.getOrCreate(job.master, "opnp-evaluate");
    String cache = features != null ? features : new Path(output, "features").toString();
    var conf = spark.sparkContext().hadoopConfiguration();
    // Every output is checked before the model runs, not after.
    for (String name : EvaluateJob.outputs(true)) {
      Outputs.checkWritable(conf, output + "/" + name, job.overwrite);
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
    List<String> specTexts = new ArrayList<>(specs.stream().map(DatasetSpec::toString).toList());
    specTexts.add("proxies:" + ValidationProxy.keys(made) + " val-limit:" + valLimit);
    EvaluateJob.Result result;
    StageTimes times = new StageTimes();
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
        // specs: train, val-id, id-test, then the OOD sets (test, then validation)
        ModelPass.Sets sets = new ModelPass.Sets(new ModelPass.Named(specs.get(0).name(), data.get(0)),
            new ModelPass.Named(specs.get(1).name(), data.get(1)), new ModelPass.Named(specs.get(2).name(), data.get(2)),
            data.subList(3, data.size()), made, valLimit);
        boolean computed = sens == null;
        Sensitivity given = sens;
        // Most of the wall time: its own stage, with the images it ran through the model (proxies included).
        ModelPass.Outcome pass = times.time(MODEL_PASS, StageTimes.Where.EXECUTORS,
            () -> ModelPass.run(spark, cfg, sets, specTexts, cache, job.overwrite, given));
        times.count(MODEL_PASS, FeatureCacheJob.read(spark, cache).count());
        head = pass.head();
        sens = pass.sensitivity();
        if (computed) {
          SensitivityStore.save(spark, sens, sensOut, job.overwrite);
        }
      }
      EvaluateJob.Roles roles = new EvaluateJob.Roles(specs.get(0).name(), specs.get(1).name(), proxyNames,
          specs.get(2).name(), oodNames, knnBankSize, valLimit);
      result = EvaluateJob.on(spark, sens, head, cache).roles(roles).grid(PlanSweep.defaultGrid()).decision(decision)
          .bundle(new DetectorBundle.Context(cfg)).output(output, job.overwrite).times(times).execute();
    }
    OodReport report = result.report();
    System.out.println();
    System.out.print(report.markdown());
    System.out.println();
    Recommendation rec = result.recommendation();
    Recommendation.ThresholdFigures thr = rec.threshold();
    System.out.printf("opnp evaluate: recommended detector %s; threshold %.6g keeps %.1f %% of ID, expected false "
            + "alarms %.2f %% [%.2f, %.2f]; test average AUROC %.2f %%; saved to %s%n", rec.label(), thr.threshold(),
        keepId, 100 * thr.expectedFalseAlarmRate(), 100 * thr.falseAlarmInterval95().lower(),
        100 * thr.falseAlarmInterval95().upper(), 100 * rec.testAverageAuroc(), new Path(output, "detector"));
    System.out.printf("opnp evaluate: %s%n", rec.pruning().reason());
    System.out.printf("opnp evaluate: ok; id %s (%d images), %d OOD set(s), %d methods, plan %s (from validation); "
            + "output %s (metrics.json, report.md, plots/, detector/); wall %.1f s%n", report.idDataset(), report.idCount(),
        oodNames.size(), report.results().size() / oodNames.size(), report.plan(), output,
        (System.nanoTime() - start) / 1e9);
    return 0;
  }
}
