package io.opnp.cli;

import io.opnp.BadInputException;
import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.io.SensitivityStore;
import io.opnp.math.PruningPercentages;
import io.opnp.math.Sensitivity;
import io.opnp.report.OodReport;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.ProgressReporter;
import io.opnp.spark.ScoreJob;
import io.opnp.spark.Sessions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "score", mixinStandardHelpOptions = true,
    description = "Prune the head by the sensitivities, score the ID test set and every OOD set, write scores and metrics.")
final class ScoreCommand implements Callable<Integer> {
  @Mixin
  JobOptions job;

  @Option(names = "--sensitivity", required = true, description = "output directory of the sensitivity job")
  String sensitivity;

  @Option(names = "--id-test", required = true, description = "in-distribution test set as name=format:path "
      + "(with --from-features: its name in the cache)")
  String idTest;

  @Option(names = "--ood", required = true, description = "an OOD set as name=format:path; repeat for several "
      + "(with --from-features: names in the cache)")
  List<String> ood;

  @Option(names = "--from-features", description = "score from a feature cache (evaluate's OUTPUT/features or "
      + "sensitivity --cache-features) instead of running the model: another plan costs no model pass")
  String fromFeatures;

  @Option(names = "--output", required = true, description = "directory for scores/ (Parquet), metrics.json and metrics.md")
  String output;

  @Option(names = "--rho-w-max", defaultValue = "0.5", description = "percent of weights with the largest sensitivity to remove (default: ${DEFAULT-VALUE})")
  double rhoWMax;

  @Option(names = "--rho-w-min", defaultValue = "0", description = "percent of weights with the smallest sensitivity to remove (default: ${DEFAULT-VALUE})")
  double rhoWMin;

  @Option(names = "--rho-o-max", defaultValue = "30", description = "percent of neurons with the largest sensitivity to remove (default: ${DEFAULT-VALUE})")
  double rhoOMax;

  @Option(names = "--rho-o-min", defaultValue = "0", description = "percent of neurons with the smallest sensitivity to remove (default: ${DEFAULT-VALUE})")
  double rhoOMin;

  @Option(names = "--plan-from", description = "take the four percentages from an evaluate run's metrics.json "
      + "(the plan chosen on its validation split) instead of the --rho-* options; a local path or a Hadoop URI")
  String planFrom;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ScoreCommand.class);
  /** The OPNP paper's ImageNet head: ResNet-50's 2048 features, 1000 classes, for which the --rho-* defaults were chosen. */
  static final int PAPER_DIM = 2048;
  static final int PAPER_CLASSES = 1000;

  /**
   * Says so, loudly, when the paper's ResNet-50 plan (the --rho-* defaults, nothing chosen by the
   * user) is applied to another head: measured on CIFAR-10 ResNets it cut accuracy by 11 points and
   * AUROC below plain Energy's. Returns the warning, or null.
   */
  String paperPlanWarning(Sensitivity sens) {
    var parsed = spec.commandLine().getParseResult();
    boolean chosen = planFrom != null || java.util.stream.Stream.of("--rho-w-max", "--rho-w-min", "--rho-o-max",
        "--rho-o-min").anyMatch(parsed::hasMatchedOption);
    if (chosen || (sens.dim() == PAPER_DIM && sens.classes() == PAPER_CLASSES)) {
      return null;
    }
    String w = String.format(Locale.ROOT, "no pruning plan was given, so the OPNP paper's ImageNet ResNet-50 plan "
        + "(--rho-w-max %s --rho-w-min %s --rho-o-max %s --rho-o-min %s) is applied to a %d-feature, %d-class head it "
        + "was not chosen for; on other heads it can hurt both accuracy and detection (measured on CIFAR-10 ResNets: "
        + "-11 points of accuracy, AUROC below plain Energy's). Choose a plan on validation data with 'opnp evaluate "
        + "--val-id ...' and pass its metrics.json with --plan-from, or give the --rho-* options yourself",
        fmt(rhoWMax), fmt(rhoWMin), fmt(rhoOMax), fmt(rhoOMin), sens.dim(), sens.classes());
    LOG.warn("{}", w);
    return w;
  }

  /** The report, then the warning again where the user reads last. */
  private static void printReport(OodReport report, String warning) {
    System.out.println();
    System.out.print(report.markdown());
    System.out.println();
    if (warning != null) {
      System.out.println("WARNING: " + warning);
    }
  }

  private static String fmt(double x) {
    return x == Math.rint(x) ? Long.toString((long) x) : Double.toString(x);
  }

  @Override
  public Integer call() {
    long start = System.nanoTime();
    PruningPercentages pct;
    if (planFrom != null) {
      pct = planFrom(planFrom);
    } else {
      try {
        pct = new PruningPercentages(rhoWMax, rhoWMin, rhoOMax, rhoOMin);
      } catch (IllegalArgumentException e) {
        throw new BadInputException(e.getMessage() + "; fix the --rho-* options", e);
      }
    }
    if (fromFeatures != null) {
      return fromCache(start, pct);
    }
    DatasetSpec idSpec = DatasetSpec.parse(idTest);
    List<DatasetSpec> oodSpecs = new ArrayList<>();
    Set<String> names = new HashSet<>(List.of(idSpec.name()));
    for (String o : ood) {
      DatasetSpec s = DatasetSpec.parse(o);
      if (!names.add(s.name())) {
        throw new BadInputException("dataset name '" + s.name() + "' is used twice; give every --id-test and --ood a distinct name");
      }
      oodSpecs.add(s);
    }
    InferenceConfig cfg = job.inference();
    SparkSession spark = Sessions.getOrCreate(job.master, "opnp-score");
    OodReport report;
    String warning;
    try (ProgressReporter progress = new ProgressReporter(spark, Long.getLong("opnp.progress.seconds", 10))) {
      Sensitivity sens = SensitivityStore.load(spark, sensitivity);
      warning = paperPlanWarning(sens);
      Dataset<Row> id = DatasetReader.read(spark, idSpec, job.limitOrAll(), job.partitions);
      List<Dataset<Row>> oods = new ArrayList<>();
      List<String> oodNames = new ArrayList<>();
      for (DatasetSpec s : oodSpecs) {
        oods.add(DatasetReader.read(spark, s, job.limitOrAll(), job.partitions));
        oodNames.add(s.name());
      }
      report = ScoreJob.run(spark, cfg, sens, pct, id, idSpec.name(), oods, oodNames, output, job.overwrite);
    }
    printReport(report, warning);
    System.out.printf("opnp score: ok; id %s (%d images), %d OOD set(s), %d result rows, %d unreadable image(s) "
            + "skipped; output %s; wall %.1f s%n", idSpec.name(), report.idCount(), oodSpecs.size(),
        report.results().size(), report.skipped().values().stream().mapToLong(Long::longValue).sum(), output,
        (System.nanoTime() - start) / 1e9);
    return 0;
  }

  /** A cached dataset's name: a bare name, or the name part of name=format:path. */
  private static String cachedName(String text) {
    String name = text.contains("=") ? text.substring(0, text.indexOf('=')) : text;
    return DatasetSpec.checkName(name);
  }

  private Integer fromCache(long start, PruningPercentages pct) {
    String idName = cachedName(idTest);
    List<String> oodNames = new ArrayList<>();
    Set<String> names = new HashSet<>(List.of(idName));
    for (String o : ood) {
      String n = cachedName(o);
      if (!names.add(n)) {
        throw new BadInputException("dataset name '" + n + "' is used twice; give every --id-test and --ood a distinct name");
      }
      oodNames.add(n);
    }
    InferenceConfig cfg = job.inference();
    SparkSession spark = Sessions.getOrCreate(job.master, "opnp-score");
    OodReport report;
    String warning;
    try (ProgressReporter progress = new ProgressReporter(spark, Long.getLong("opnp.progress.seconds", 10))) {
      String identity = io.opnp.spark.FeatureCacheJob.readIdentity(spark, fromFeatures);
      if (identity != null && !identity.contains("model_sha256=" + cfg.modelSha256() + "\n")) {
        throw new BadInputException("the feature cache " + fromFeatures + " was made by another model ("
            + identity.replace('\n', ' ').trim() + "); score with that model, or rebuild the cache");
      }
      Sensitivity sens = SensitivityStore.load(spark, sensitivity);
      warning = paperPlanWarning(sens);
      report = io.opnp.spark.ScoreJob.runFromFeatures(spark, cfg, io.opnp.spark.FeatureCacheJob.read(spark,
          fromFeatures), sens, pct, idName, oodNames, output, job.overwrite);
    }
    printReport(report, warning);
    System.out.printf("opnp score: ok; from cached features %s; id %s (%d images), %d OOD set(s), %d result rows; "
            + "output %s; wall %.1f s%n", fromFeatures, idName, report.idCount(), oodNames.size(),
        report.results().size(), output, (System.nanoTime() - start) / 1e9);
    return 0;
  }

  static PruningPercentages planFrom(String metrics) {
    var conf = io.opnp.io.Storage.conf();
    if (io.opnp.io.Storage.file(metrics, conf) == null) {
      throw new BadInputException("--plan-from " + metrics + " does not exist; pass an evaluate run's metrics.json");
    }
    try (java.io.InputStream in = io.opnp.io.Storage.open(metrics, conf)) {
      com.fasterxml.jackson.databind.JsonNode plan = new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(in).get("plan");
      if (plan == null || !plan.has("rho_w_max") || !plan.has("rho_o_min")) {
        throw new BadInputException(metrics + " has no plan with rho_w_max … rho_o_min; pass an evaluate run's metrics.json");
      }
      return new PruningPercentages(plan.get("rho_w_max").asDouble(), plan.get("rho_w_min").asDouble(),
          plan.get("rho_o_max").asDouble(), plan.get("rho_o_min").asDouble());
    } catch (java.io.IOException e) {
      throw new BadInputException("cannot read the plan from " + metrics + " (" + e.getMessage()
          + "); pass an evaluate run's metrics.json", e);
    }
  }
}
