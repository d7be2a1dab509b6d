package io.opnp.bench;

import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.data.Preprocess;
import io.opnp.eval.EvaluateJob;
import io.opnp.eval.PlanSweep;
import io.opnp.io.Hashes;
import io.opnp.io.ModelStaging;
import io.opnp.io.Storage;
import io.opnp.io.SensitivityStore;
import io.opnp.math.LinearHead;
import io.opnp.math.PruningPercentages;
import io.opnp.math.Sensitivity;
import io.opnp.math.SensitivityAccumulator;
import io.opnp.model.HeadReader;
import io.opnp.model.ImageBatch;
import io.opnp.model.ModelOutput;
import io.opnp.model.Precision;
import io.opnp.model.LoadedModels;
import io.opnp.spark.ExecutorModels;
import io.opnp.spark.FeatureCacheJob;
import io.opnp.spark.FirstById;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.SensitivityJob;
import io.opnp.spark.Sessions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark behind {@code jobs/bench} (not a test): the sensitivity pass of this project in
 * Spark local mode against a plain PyTorch loop over the same JPEG files and model, runs
 * alternating, medians compared; the OPNP sums' cost against the forward pass; a 100-plan sweep
 * over cached Fashion-MNIST features. Prints a table, writes it as Markdown, and ends with one
 * line of the three headline figures.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "opnp-spark benchmark (see BENCHMARKS.md)")
public final class Bench implements Callable<Integer> {
  @Option(names = "--images", required = true, description = "folder of class sub-folders of .JPEG files")
  Path images;

  @Option(names = "--models", required = true, split = ",", description = "TorchScript models (3x224x224 input)")
  List<Path> models;

  @Option(names = "--images-per-run", required = true, split = ",", description = "images per timed run, per model")
  List<Integer> imagesPerRun;

  @Option(names = "--extra-models", split = ",", description = "more models, in the table but not in the headline "
      + "(e.g. a decode-bound one whose forward costs next to nothing, as on GPU executors; a bf16 export)")
  List<Path> extraModels = List.of();

  @Option(names = "--extra-images", split = ",", description = "images per timed run for each extra model")
  List<Integer> extraImages = List.of();

  @Option(names = "--runs", defaultValue = "3", description = "timed runs per side (median)")
  int runs;

  @Option(names = "--batch-size", defaultValue = "32")
  int batchSize;

  @Option(names = "--cores", defaultValue = "2", description = "Spark local[N] and the PyTorch loop's threads")
  int cores;

  @Option(names = "--torch-loop", required = true, description = "the plain PyTorch loop script")
  Path torchLoop;

  @Option(names = "--python", defaultValue = "/usr/bin/python3")
  String python;

  @Option(names = "--demo-model", required = true)
  Path demoModel;

  @Option(names = "--fashion-mnist", required = true, description = "folder of the Fashion-MNIST IDX files")
  Path fashionMnist;

  @Option(names = "--mnist", required = true, description = "MNIST as Parquet (prepare-demo-data's mnist)")
  Path mnist;

  @Option(names = "--work", required = true, description = "where subsets, the feature cache and results go")
  Path work;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Bench()).execute(args));
  }

  /** One timed run: throughput, Σ|dE/dW| (a cross-check), and the share of the run spent decoding (PyTorch). */
  private record Side(double imagesPerSecond, double weightTotal, double decodeShare) {}

  /** One way of computing the sensitivity sums over the same images, timed against the others. */
  private record Contender(String name, SideRunner run) {}

  @FunctionalInterface
  private interface SideRunner {
    Side run() throws Exception;
  }

  /** The contenders' medians for one model. */
  private record Medians(java.util.Map<String, Double> imagesPerSecond, java.util.Map<String, Side> last) {
    double get(String name) {
      return imagesPerSecond.getOrDefault(name, Double.NaN);
    }
  }

  private static final String LIBTORCH = "project libtorch";
  private static final String ORT = "project ONNX Runtime";
  private static final String EAGER = "PyTorch eager";
  private static final String SCRIPT = "PyTorch TorchScript";
  private static final String FROZEN = "PyTorch frozen";

  @Override
  public Integer call() throws Exception {
    LoadedModels.configureThreads(1);  // one intra-op thread per Spark task, as the jobs run
    // Which numerics this JVM runs in (auto, or jobs/bench's BENCH_NUMERICS), stated beside every figure.
    String mode = io.opnp.model.EngineGuard.ensure().mode().id();
    say("project numerics: %s", io.opnp.model.EngineGuard.status().summary());
    SparkSession spark = Sessions.getOrCreate("local[" + cores + "]", "opnp-bench");
    spark.sparkContext().setLogLevel("WARN");
    List<String> table = new ArrayList<>();
    table.add("| model | images/run | project libtorch | project ONNX Runtime | PyTorch eager | PyTorch TorchScript | "
        + "PyTorch frozen | ONNX Runtime / eager | ONNX Runtime / frozen | libtorch / TorchScript | runs | "
        + "engines' outputs max rel. diff | Σ|dE/dW| rel. diff (ORT, PyTorch vs libtorch) |");
    table.add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    List<String> shares = new ArrayList<>();
    shares.add("| model | D × C | forward ms/batch (1 thread) | OPNP sums ms/batch | share |");
    shares.add("|---|---|---:|---:|---:|");
    double worstRatio = Double.POSITIVE_INFINITY;  // the headline: the least favourable model
    double referenceOnnxRatio = Double.NaN;  // the last headline model's (ResNet-50 in jobs/bench)
    List<String> onnxRatios = new ArrayList<>();
    double worstShare = 0;
    List<Path> all = new ArrayList<>(models);
    all.addAll(extraModels);
    for (int m = 0; m < all.size(); m++) {
      Path model = all.get(m).toAbsolutePath();
      boolean headline = m < models.size();
      int n = headline ? imagesPerRun.get(Math.min(m, imagesPerRun.size() - 1))
          : extraImages.get(Math.min(m - models.size(), extraImages.size() - 1));
      Path subset = subset(n);
      InferenceConfig cfg = imagenetConfig(model);
      Path onnx = onnxBeside(model);
      InferenceConfig onnxCfg = onnx == null ? null : imagenetConfig(onnx);
      String name = model.getFileName().toString();
      String network = name.substring(0, name.lastIndexOf('.'));
      List<Contender> contenders = new ArrayList<>();
      contenders.add(new Contender(LIBTORCH, () -> project(spark, cfg, subset)));
      if (onnxCfg != null) {
        contenders.add(new Contender(ORT, () -> project(spark, onnxCfg, subset)));
      }
      contenders.add(new Contender(EAGER, () -> pytorch(model, subset, n, "eager", network)));
      contenders.add(new Contender(SCRIPT, () -> pytorch(model, subset, n, "script", network)));
      if (!network.endsWith("-bf16")) {  // freezing a bf16 graph fails in torch 1.13 (its folded casts)
        contenders.add(new Contender(FROZEN, () -> pytorch(model, subset, n, "frozen", network)));
      }
      say("%s: warm-up (model load, first batches)", name);
      project(spark, cfg, subset(Math.min(n, 2 * batchSize)));
      if (onnxCfg != null) {
        project(spark, onnxCfg, subset(Math.min(n, 2 * batchSize)));
      }
      Medians md = race(name, contenders);
      double ratio = md.get(LIBTORCH) / md.get(SCRIPT);
      double onnxRatio = md.get(ORT) / md.get(EAGER);
      if (headline) {
        worstRatio = Math.min(worstRatio, ratio);
        if (onnxCfg != null) {
          referenceOnnxRatio = onnxRatio;
          onnxRatios.add(String.format(Locale.ROOT, "%s:%.3f", network, onnxRatio));
        }
      }
      double outputs = onnxCfg == null ? Double.NaN : engineDeviation(cfg, onnxCfg);
      double torchWeights = md.last().get(LIBTORCH).weightTotal();
      String sums = (onnxCfg == null ? "–" : String.format(Locale.ROOT, "%.1e",
          relDiff(md.last().get(ORT).weightTotal(), torchWeights)))
          + ", " + String.format(Locale.ROOT, "%.1e", relDiff(md.last().get(SCRIPT).weightTotal(), torchWeights));
      table.add(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %.2f | %d | %s | %s |",
          headline ? name : name + " (extra)", n, fmt(md.get(LIBTORCH)), fmt(md.get(ORT)), fmt(md.get(EAGER)),
          fmt(md.get(SCRIPT)), fmt(md.get(FROZEN)), fmt(onnxRatio), fmt(md.get(ORT) / md.get(FROZEN)), ratio, runs,
          Double.isNaN(outputs) ? "–" : String.format(Locale.ROOT, "%.1e", outputs), sums));
      if (!headline) {
        continue;
      }
      double[] share = sumsShare(cfg);
      worstShare = Math.max(worstShare, share[2]);
      LinearHead head = HeadReader.read(ExecutorModels.model(cfg), "fc.weight", "fc.bias");
      shares.add(String.format(Locale.ROOT, "| %s | %d × %d | %.1f | %.2f | %.2f %% |", name, head.dim(),
          head.classes(), share[0], share[1], 100 * share[2]));
    }
    String demo = demoEngines();
    double[] sweep = sweep(spark);
    List<String> out = new ArrayList<>();
    out.add("Sensitivity pass (images/s, medians), local[" + cores + "] (one Spark task per core, one engine thread per "
        + "task) vs plain PyTorch loops (" + cores + " threads), batch " + batchSize + ", JPEG decode + resize 256 + "
        + "crop 224 included. Project numerics mode: **" + mode + "** (" + io.opnp.model.EngineGuard.status().reason()
        + "); ONNX Runtime " + (io.opnp.model.OnnxGuard.status() == null ? "not run"
        : io.opnp.model.OnnxGuard.status().version()) + " with all graph optimizations; PyTorch: Debian's python3-torch "
        + "as installed (its own bundled oneDNN at the CPU's full ISA): eager = the torchvision network as a user builds "
        + "it, TorchScript = the .pt file as torch.jit.load gives it, frozen = torch.jit.freeze + "
        + "optimize_for_inference. CPU: " + io.opnp.model.EngineGuard.status().cpu().describe() + ".");
    out.add("");
    out.addAll(table);
    out.add("");
    out.add(demo);
    out.add("");
    out.add("OPNP sums (float64 BLAS) against the forward pass, batch " + batchSize + ", same thread:");
    out.add("");
    out.addAll(shares);
    out.add("");
    out.add(String.format(Locale.ROOT, "Sweep of %d pruning plans over cached Fashion-MNIST features (%d ID test + %d "
        + "MNIST images, read from the Parquet cache): %.2f s (best AUROC %.2f %%).", (int) sweep[1], (int) sweep[2],
        (int) sweep[3], sweep[0], 100 * sweep[4]));
    String mdText = String.join("\n", out) + "\n";
    Files.createDirectories(work);
    Files.writeString(work.resolve("results.md"), mdText, StandardCharsets.UTF_8);
    System.out.println();
    System.out.print(mdText);
    System.out.println();
    System.out.printf(Locale.ROOT, "bench sensitivity_ratio_vs_pytorch=%.3f onnx_ratio_vs_pytorch=%.3f "
        + "onnx_ratio_by_model=%s sums_share_of_forward=%.4f sweep100_seconds=%.2f numerics=%s%n", worstRatio,
        referenceOnnxRatio, String.join(",", onnxRatios), worstShare, sweep[0], mode);
    spark.stop();
    return 0;
  }

  /** Runs every contender {@code runs} times, rotating who goes first so drift on a shared machine hits all alike. */
  private Medians race(String name, List<Contender> contenders) throws Exception {
    java.util.Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
    java.util.Map<String, Side> last = new java.util.LinkedHashMap<>();
    for (int r = 0; r < runs; r++) {
      for (int k = 0; k < contenders.size(); k++) {
        Contender c = contenders.get((k + r) % contenders.size());
        Side side = c.run().run();
        rates.computeIfAbsent(c.name(), x -> new ArrayList<>()).add(side.imagesPerSecond());
        last.put(c.name(), side);
        say("%s run %d: %s %.2f img/s", name, r + 1, c.name(), side.imagesPerSecond());
      }
    }
    java.util.Map<String, Double> medians = new java.util.LinkedHashMap<>();
    rates.forEach((k, v) -> medians.put(k, median(v)));
    return new Medians(medians, last);
  }

  private InferenceConfig imagenetConfig(Path model) {
    return new InferenceConfig(ModelStaging.stage(model.toString(), Storage.conf()), "fc.weight", "fc.bias",
        new Preprocess(3, 224, 224, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f}, 256),
        batchSize, 1, 1.0, false, cores, Precision.AUTO);
  }

  /** M.onnx beside M.pt (make_bench_models.py writes both from the same weights), or null. */
  private static Path onnxBeside(Path model) {
    String name = model.getFileName().toString();
    Path onnx = model.resolveSibling(name.substring(0, name.lastIndexOf('.')) + ".onnx");
    return Files.isRegularFile(onnx) ? onnx : null;
  }

  /** Largest relative deviation of ONNX Runtime's features and logits from libtorch's, on one batch of inputs. */
  private double engineDeviation(InferenceConfig torchCfg, InferenceConfig onnxCfg) throws Exception {
    float[] x = new float[batchSize * 3 * 224 * 224];
    Random rnd = new Random(7);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    ModelOutput a = forward(ExecutorModels.model(torchCfg), x);
    ModelOutput b = forward(ExecutorModels.model(onnxCfg), x);
    return io.opnp.numerics.Deviation.of(b.features(), a.features(), a.n() * a.dim())
        .max(io.opnp.numerics.Deviation.of(b.logits(), a.logits(), a.n() * a.classes())).relative();
  }

  private ModelOutput forward(ai.djl.repository.zoo.ZooModel<ImageBatch, ModelOutput> model, float[] x) throws Exception {
    try (var p = model.newPredictor()) {
      return p.predict(new ImageBatch(x, batchSize, 3, 224, 224));
    }
  }

  /** The demo model's forward pass on both engines (one thread, batch 256 of random 28x28 inputs), as a sentence. */
  private String demoEngines() throws Exception {
    Path onnx = demoModel.toAbsolutePath().resolveSibling("onnx").resolve("fmnist-resnet.onnx");
    if (!Files.isRegularFile(onnx)) {
      return "(no ONNX export of the demo model beside " + demoModel + ")";
    }
    int n = 256;
    float[] x = new float[n * 784];
    Random rnd = new Random(3);
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextFloat();
    }
    double[] ips = new double[2];
    Path[] files = {demoModel.toAbsolutePath(), onnx};
    for (int e = 0; e < 2; e++) {
      var model = LoadedModels.get(files[e], ai.djl.Device.cpu());
      try (var p = model.newPredictor()) {
        ImageBatch batch = new ImageBatch(x, n, 1, 28, 28);
        p.predict(batch);
        p.predict(batch);
        List<Double> t = new ArrayList<>();
        for (int r = 0; r < 7; r++) {
          long t0 = System.nanoTime();
          p.predict(batch);
          t.add(n / ((System.nanoTime() - t0) / 1e9));
        }
        ips[e] = median(t);
      }
    }
    return String.format(Locale.ROOT, "Demo model (Fashion-MNIST ResNet, 1×28×28), forward pass only, one thread, "
        + "batch %d: libtorch %.0f img/s, ONNX Runtime %.0f img/s (%.2f×).", n, ips[0], ips[1], ips[1] / ips[0]);
  }

  private static double relDiff(double a, double b) {
    return Math.abs(a - b) / Math.abs(b);
  }

  private static String fmt(double x) {
    return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, "%.2f", x);
  }

  /** The first n images in sorted path order, hard-linked into their own folder: both sides read exactly these. */
  private Path subset(int n) throws IOException {
    Path dir = work.resolve("subset-" + n);
    if (Files.isDirectory(dir)) {
      return dir;
    }
    List<Path> all;
    try (var s = Files.walk(images)) {
      all = s.filter(p -> p.toString().endsWith(".JPEG")).sorted().toList();
    }
    if (all.size() < n) {
      throw new IllegalArgumentException("only " + all.size() + " images under " + images + ", need " + n);
    }
    Path tmp = work.resolve(".subset-" + n + ".tmp");
    for (Path p : all.subList(0, n)) {
      Path target = tmp.resolve(images.relativize(p));
      Files.createDirectories(target.getParent());
      Files.createLink(target, p);
    }
    Files.move(tmp, dir);
    return dir;
  }

  private Side project(SparkSession spark, InferenceConfig cfg, Path folder) {
    // Balanced partitions, as a large job has: with a few hundred images, a partition's last
    // zero-padded batch would otherwise weigh as it never does at scale.
    Dataset<Row> data = DatasetReader.read(spark, DatasetSpec.parse("bench=folder:" + folder), Integer.MAX_VALUE, 0)
        .repartition(cores);
    long t0 = System.nanoTime();
    Sensitivity s = SensitivityJob.run(spark, cfg, data);
    double secs = (System.nanoTime() - t0) / 1e9;
    double total = 0;
    for (double v : s.weight()) {
      total += v;
    }
    return new Side(s.count() / secs, total * s.count(), Double.NaN);
  }

  private Side pytorch(Path model, Path folder, int n, String variant, String network)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(python, torchLoop.toString(), "--model", model.toString(), "--images",
        folder.toString(), "--threads", Integer.toString(cores), "--batch-size", Integer.toString(batchSize),
        "--limit", Integer.toString(n), "--runs", "1", "--variant", variant, "--network", network)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("the PyTorch loop failed (exit " + p.exitValue() + "): " + json);
    }
    return new Side(field(json, "images_per_second"), field(json, "weight_sum_total"),
        field(json, "decode_seconds") / field(json, "seconds"));
  }

  private static double field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":\\s*([-0-9.eE+]+)").matcher(json);
    if (!m.find()) {
      throw new IllegalStateException("no " + name + " in the PyTorch loop's output: " + json);
    }
    return Double.parseDouble(m.group(1));
  }

  /** Forward ms per batch, OPNP-sums ms per batch and their ratio, on one thread (as in a task). */
  private double[] sumsShare(InferenceConfig cfg) throws Exception {
    var model = ExecutorModels.model(cfg);
    LinearHead head = HeadReader.read(model, "fc.weight", "fc.bias");
    int n = batchSize;
    float[] x = new float[n * 3 * 224 * 224];
    Random rnd = new Random(1);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    double forward;
    ModelOutput out;
    try (var predictor = model.newPredictor()) {
      ImageBatch batch = new ImageBatch(x, n, 3, 224, 224);
      out = predictor.predict(batch);
      List<Double> times = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        long t0 = System.nanoTime();
        predictor.predict(batch);
        times.add((System.nanoTime() - t0) / 1e6);
      }
      forward = median(times);
    }
    SensitivityAccumulator acc = new SensitivityAccumulator(head.classes(), head.dim(), 1.0);
    for (int r = 0; r < 5; r++) {
      acc.add(out.features(), out.logits(), n, head.weight());  // warm-up (JIT, BLAS)
    }
    List<Double> times = new ArrayList<>();
    for (int r = 0; r < 20; r++) {
      long t0 = System.nanoTime();
      acc.add(out.features(), out.logits(), n, head.weight());
      times.add((System.nanoTime() - t0) / 1e6);
    }
    double sums = median(times);
    return new double[] {forward, sums, sums / forward};
  }

  /** Seconds for 100 plans (cached features read back included), plans, ID and OOD counts, best AUROC. */
  private double[] sweep(SparkSession spark) throws IOException {
    Path cache = work.resolve("fmnist-cache");
    Path sensPath = work.resolve("fmnist-sensitivity");
    Path demo = demoModel.toAbsolutePath();
    InferenceConfig cfg = new InferenceConfig(ModelStaging.stage(demo.toString(), Storage.conf()), "fc.weight", "fc.bias",
        Preprocess.grey(28, 28), 256, 1, 1.0, false);
    if (!Files.isDirectory(sensPath)) {
      say("building the Fashion-MNIST feature cache (one pass: 55,000 training images with their sensitivity, "
          + "10,000 test, 10,000 MNIST)");
      List<DatasetSpec> specs = List.of(
          DatasetSpec.parse("fm-train=idx:" + fashionMnist.resolve("train-images-idx3-ubyte.gz")),
          DatasetSpec.parse("fm-test=idx:" + fashionMnist.resolve("t10k-images-idx3-ubyte.gz")),
          DatasetSpec.parse("mnist=parquet:" + mnist));
      List<Dataset<Row>> data = new ArrayList<>();
      for (int i = 0; i < specs.size(); i++) {
        data.add(DatasetReader.read(spark, specs.get(i), i == 0 ? 55_000 : Integer.MAX_VALUE, 0));
      }
      var pass = FeatureCacheJob.run(spark, cfg,
          FeatureCacheJob.Inputs.of(data).withLabelled(List.of("fm-train", "fm-test")).withSensitivityOf("fm-train"),
          specs.stream().map(DatasetSpec::toString).toList(), cache.toString(), true);
      SensitivityStore.save(spark, pass.sensitivity(), sensPath.toString(), true);
    }
    Sensitivity s = SensitivityStore.load(spark, sensPath.toString());
    LinearHead head = HeadReader.read(ExecutorModels.model(cfg), "fc.weight", "fc.bias");
    List<PruningPercentages> grid = PlanSweep.grid(PlanSweep.RHO_W_MAX, PlanSweep.RHO_W_MIN, PlanSweep.RHO_O_MAX,
        new double[] {0});
    long t0 = System.nanoTime();
    Dataset<Row> cached = FeatureCacheJob.read(spark, cache.toString());
    double[] id = FirstById.features(cached.where("dataset = 'fm-test'"), 10_000, head.dim()).features();
    double[] ood = FirstById.features(cached.where("dataset = 'mnist'"), 10_000, head.dim()).features();
    int nId = id.length / head.dim();
    int nOod = ood.length / head.dim();
    List<PlanSweep.Point> points = PlanSweep.run(s, head, grid, id, nId, ood, nOod);
    double secs = (System.nanoTime() - t0) / 1e9;
    return new double[] {secs, points.size(), nId, nOod, PlanSweep.best(points).metrics().auroc()};
  }

  private static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  private static void say(String fmt, Object... args) {
    System.err.printf("[bench] " + fmt + "%n", args);
  }
}
