package io.opnp.bench;

import io.opnp.eval.EvaluateJob;
import io.opnp.eval.PlanSweep;
import io.opnp.eval.StageTimes;
import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.plots.ScalePlot;
import io.opnp.spark.FeatureCacheJob;
import io.opnp.spark.SensitivityJob;
import io.opnp.spark.Sessions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The scale benchmark behind {@code jobs/bench-scale} (not a test): synthetic feature caches at a
 * head shape (ImageNet's 2048 × 1000 by default) with training sets of several sizes and fixed
 * validation and test sets, each put through everything evaluate does after the model pass
 * (sensitivity from the cache, statistics, every method's fit, the plan search, validation and test
 * scoring, metrics, report), one stage at a time, with the driver's heap watched. Prints a table,
 * draws time and driver heap against N, and ends with one line of the headline ratios.
 */
@Command(name = "bench-scale", mixinStandardHelpOptions = true, description = "evaluate at scale (BENCHMARKS.md)")
public final class ScaleBench implements Callable<Integer> {
  @Option(names = "--sizes", split = ",", defaultValue = "50000,100000,200000,400000",
      description = "training-set sizes (rows), ascending")
  List<Long> sizes;

  @Option(names = "--classes", defaultValue = "1000")
  int classes;

  @Option(names = "--dim", defaultValue = "2048")
  int dim;

  @Option(names = "--val-id", defaultValue = "6000", description = "validation ID rows (half select, half calibrate)")
  long valId;

  @Option(names = "--val-ood", defaultValue = "3000", description = "rows of each of the two validation OOD sets")
  long valOod;

  @Option(names = "--id-test", defaultValue = "6000")
  long idTest;

  @Option(names = "--ood-test", defaultValue = "3000", description = "rows of each of the two OOD test sets")
  long oodTest;

  @Option(names = "--val-limit", defaultValue = "3000")
  int valLimit;

  @Option(names = "--knn-bank-size", defaultValue = "20000", description = "KNN bank rows (default: ${DEFAULT-VALUE}, "
      + "fixed so that runs of every N stay comparable; 0 = evaluate's default, the whole set up to 1 GiB)")
  int knnBankSize;

  @Option(names = "--rows-per-task", defaultValue = "12500", description = "rows per generating task (a partition)")
  int rowsPerTask;

  @Option(names = "--master", defaultValue = "local[2]")
  String master;

  @Option(names = "--work", required = true, description = "where the caches and outputs go (a cache is deleted "
      + "after its run unless --keep-caches)")
  Path work;

  @Option(names = "--keep-caches")
  boolean keepCaches;

  @Option(names = "--seed", defaultValue = "20261201")
  long seed;

  /** One training-set size's run. */
  record Run(long n, double generateSeconds, List<StageTimes.Stage> stages, Map<String, Long> stageHeap,
             long driverHeapPeak, double avgTestAuroc, String chosen) {
    double total() {
      return stages.stream().mapToDouble(StageTimes.Stage::seconds).sum();
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ScaleBench()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    Files.createDirectories(work);
    SparkSession spark = Sessions.getOrCreate(master, "opnp-bench-scale");
    LinearHead head = SyntheticCache.head(classes, dim, seed);
    List<Run> runs = new ArrayList<>();
    String masterUrl = spark.sparkContext().master();
    try (HeapWatch heap = new HeapWatch()) {
      for (long n : sizes) {
        runs.add(runOne(spark, head, n, heap));
        log(String.format(Locale.ROOT, "N = %d: evaluate %.1f s, driver heap peak %.0f MB", n,
            runs.get(runs.size() - 1).total(), runs.get(runs.size() - 1).driverHeapPeak() / 1e6));
      }
    } finally {
      spark.stop();
    }
    String md = table(runs, masterUrl) + largest();
    Files.writeString(work.resolve("bench-scale.md"), md, StandardCharsets.UTF_8);
    writePlots(runs);
    System.out.println(md);
    Run lo = runs.get(0);
    Run hi = runs.get(runs.size() - 1);
    StageTimes.Stage slowest = slowestDriverStage(hi);
    System.out.printf(Locale.ROOT, "bench-scale n_max=%d time_ratio=%.2f driver_heap_ratio=%.2f slowest_stage=%s:%.1f%n",
        hi.n(), (hi.total() / lo.total()) / ((double) hi.n() / lo.n()), (double) hi.driverHeapPeak() / lo.driverHeapPeak(),
        slowest.name().replace(' ', '_'), slowest.seconds());
    return 0;
  }

  private Run runOne(SparkSession spark, LinearHead head, long n, HeapWatch heap) throws IOException {
    Path dir = work.resolve("n" + n);
    deleteTree(dir);
    String cache = dir.resolve("cache").toString();
    log("N = " + n + ": making the synthetic cache at " + classes + "x" + dim + " under " + cache);
    long t0 = System.nanoTime();
    SyntheticCache.write(spark, head, List.of(
        new SyntheticCache.Set("train", SyntheticCache.Kind.ID, n),
        new SyntheticCache.Set("val-id", SyntheticCache.Kind.ID, valId),
        new SyntheticCache.Set("val-mix", SyntheticCache.Kind.MIX, valOod),
        new SyntheticCache.Set("val-far", SyntheticCache.Kind.FAR, valOod),
        new SyntheticCache.Set("id-test", SyntheticCache.Kind.ID, idTest),
        new SyntheticCache.Set("ood-mix", SyntheticCache.Kind.MIX, oodTest),
        new SyntheticCache.Set("ood-far", SyntheticCache.Kind.FAR, oodTest)), seed, rowsPerTask, cache);
    double generate = (System.nanoTime() - t0) / 1e9;
    log(String.format(Locale.ROOT, "N = %d: cache made in %.1f s; evaluating", n, generate));

    heap.reset();
    StageTimes times = new StageTimes(heap);
    Sensitivity sens = times.time("sensitivity from the cache", StageTimes.Where.EXECUTORS, () ->
        SensitivityJob.fromFeatures(spark, FeatureCacheJob.read(spark, cache).where("dataset = 'train'"), head, 1.0,
            "synthetic", "none"));
    EvaluateJob.Roles roles = new EvaluateJob.Roles("train", "val-id", List.of("val-mix", "val-far"), "id-test",
        List.of("ood-mix", "ood-far"), knnBankSize, valLimit);
    var rec = EvaluateJob.on(spark, sens, head, cache).roles(roles).grid(PlanSweep.defaultGrid())
        .output(dir.resolve("out").toString(), false).times(times).execute().recommendation();
    Run run = new Run(n, generate, times.stages(), heap.byStage(), heap.peak(), rec.testAverageAuroc(), rec.label());
    if (!keepCaches) {
      deleteTree(Path.of(cache));
    }
    return run;
  }

  /** The largest arrays the evaluate driver holds, by construction: each bounded by a flag or the head, none by N. */
  private String largest() {
    long cd = 8L * classes * dim;
    Map<String, Long> sizes = new LinkedHashMap<>();
    sizes.put("KNN bank (--knn-bank-size x D float32, also broadcast)", 4L * knnBankSize * dim);
    sizes.put("validation features of one side (--val-limit x D float64; 3 sides)", 8L * valLimit * dim);
    sizes.put("training covariance / ViM and Mahalanobis matrices (D x D float64, each)", 8L * dim * dim);
    sizes.put("sensitivity, class means, each pruned or masked head (C x D float64, each)", cd);
    StringBuilder b = new StringBuilder("\nLargest arrays the driver holds (by construction, independent of N):\n\n");
    sizes.forEach((k, v) -> b.append(String.format(Locale.ROOT, "- %s: %.0f MB%n", k, v / 1e6)));
    return b.toString();
  }

  private static StageTimes.Stage slowestDriverStage(Run r) {
    return r.stages().stream().filter(s -> s.where() == StageTimes.Where.DRIVER)
        .max(java.util.Comparator.comparingDouble(StageTimes.Stage::seconds)).orElseThrow();
  }

  private String table(List<Run> runs, String masterUrl) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "evaluate at %d x %d (synthetic), master %s, %d cores; validation %d ID + 2 x %d "
            + "OOD (val-limit %d), test %d ID + 2 x %d OOD, KNN bank %d%n%n", dim, classes, masterUrl,
        Runtime.getRuntime().availableProcessors(), valId, valOod, valLimit, idTest, oodTest, knnBankSize));
    b.append("| stage | where |");
    runs.forEach(r -> b.append(" N=").append(r.n()).append(" s |"));
    b.append(" time ratio | driver heap at N_max (MB) |\n|---|---|");
    runs.forEach(r -> b.append("---:|"));
    b.append("---:|---:|\n");
    Run first = runs.get(0);
    Run last = runs.get(runs.size() - 1);
    double growth = (double) last.n() / first.n();
    for (int i = 0; i < last.stages().size(); i++) {
      StageTimes.Stage s = last.stages().get(i);
      b.append("| ").append(s.name()).append(" | ").append(s.where().name().toLowerCase(Locale.ROOT)).append(" |");
      for (Run r : runs) {
        b.append(String.format(Locale.ROOT, " %.1f |", r.stages().get(i).seconds()));
      }
      // t(N_max)/t(N_min) ÷ N_max/N_min: 1 for a stage linear in N, 1/growth for one independent of N.
      b.append(String.format(Locale.ROOT, " %.2f | %.0f |%n", s.seconds() / first.stages().get(i).seconds() / growth,
          last.stageHeap().getOrDefault(s.name(), 0L) / 1e6));
    }
    b.append("| **evaluate total** | |");
    runs.forEach(r -> b.append(String.format(Locale.ROOT, " **%.1f** |", r.total())));
    b.append(String.format(Locale.ROOT, " %.2f | |%n| driver heap peak (MB, after GC) | |", last.total() / first.total()
        / growth));
    runs.forEach(r -> b.append(String.format(Locale.ROOT, " %.0f |", r.driverHeapPeak() / 1e6)));
    b.append(" | |\n| making the synthetic cache (not evaluate) | executors |");
    runs.forEach(r -> b.append(String.format(Locale.ROOT, " %.1f |", r.generateSeconds())));
    b.append(" | |\n| recommended detector; its mean test AUROC | |");
    runs.forEach(r -> b.append(String.format(Locale.ROOT, " %s %.2f %% |", r.chosen(), 100 * r.avgTestAuroc())));
    b.append(" | |\n");
    return b.toString();
  }

  private void writePlots(List<Run> runs) {
    double[] ns = runs.stream().mapToDouble(Run::n).toArray();
    Map<String, double[]> time = new LinkedHashMap<>();
    time.put("evaluate total", runs.stream().mapToDouble(Run::total).toArray());
    for (int i = 0; i < runs.get(0).stages().size(); i++) {
      int stage = i;
      double[] s = runs.stream().mapToDouble(r -> r.stages().get(stage).seconds()).toArray();
      if (java.util.Arrays.stream(s).max().orElse(0) >= 0.05 * time.get("evaluate total")[runs.size() - 1]) {
        time.put(runs.get(0).stages().get(i).name(), s);  // the stages that matter; the rest are in the table
      }
    }
    Map<String, double[]> heap = new LinkedHashMap<>();
    heap.put("driver heap peak (after GC)", runs.stream().mapToDouble(r -> r.driverHeapPeak() / 1e6).toArray());
    ScalePlot.write(work.resolve("bench-scale.png"), dim + " x " + classes + " evaluate against N", ns, time, heap);
  }

  private static void deleteTree(Path p) throws IOException {
    if (Files.exists(p)) {
      try (var walk = Files.walk(p)) {
        for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(x);
        }
      }
    }
  }

  private static void log(String msg) {
    System.err.printf("[%tT] %s%n", System.currentTimeMillis(), msg);
  }
}
