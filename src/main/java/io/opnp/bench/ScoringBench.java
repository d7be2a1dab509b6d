package io.opnp.bench;

import io.opnp.math.LinearHead;
import io.opnp.math.NativeLinearAlgebra;
import io.opnp.math.PruningPercentages;
import io.opnp.math.Sensitivity;
import io.opnp.methods.Batch;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FittedState;
import io.opnp.methods.GuideBank;
import io.opnp.methods.KnnBank;
import io.opnp.methods.OodMethod;
import io.opnp.methods.OodMethods;
import io.opnp.methods.Param;
import io.opnp.methods.TrainingSums;
import io.opnp.methods.VimSubspace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The validation selection's scoring at a head's shape (not a test; {@code jobs/bench-scoring}): the
 * whole grid of configurations on one batch of rows, each configuration scored alone (the baseline:
 * every one pays its own products, as before scoring shared its work) and all of them together on
 * one {@link Batch} (what evaluate runs), best of a few repeats, on one thread. Prints milliseconds
 * per method and the ratio, and in its last line the BLAS in use, so that runs under
 * {@code OPNP_BLAS=java} and with OpenBLAS can be compared by the job script.
 */
@Command(name = "bench-scoring", mixinStandardHelpOptions = true,
    description = "the selection's scoring, alone against shared (BENCHMARKS.md)")
public final class ScoringBench implements Callable<Integer> {
  @Option(names = "--dim", defaultValue = "2048", description = "feature dimension D (default ${DEFAULT-VALUE})")
  int dim;

  @Option(names = "--classes", defaultValue = "1000", description = "classes C (default ${DEFAULT-VALUE})")
  int classes;

  @Option(names = "--rows", defaultValue = "256", description = "rows scored per batch (default ${DEFAULT-VALUE})")
  int rows;

  @Option(names = "--train", defaultValue = "4000", description = "training rows the statistics are fitted on (default ${DEFAULT-VALUE})")
  int train;

  @Option(names = "--bank", defaultValue = "20000", description = "KNN bank rows (default ${DEFAULT-VALUE}, as jobs/bench-scale)")
  int bank;

  @Option(names = "--repeats", defaultValue = "3", description = "repeats; the best is kept (default ${DEFAULT-VALUE})")
  int repeats;

  public static void main(String[] args) {
    int code = new CommandLine(new ScoringBench()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() {
    Random rng = new Random(20231127L);
    double[] w = new double[classes * dim];
    for (int i = 0; i < w.length; i++) {
      w[i] = 0.02 * rng.nextGaussian();
    }
    LinearHead head = new LinearHead(classes, dim, w, new double[classes]);
    double[] h = features(train, rng);
    int[] y = new int[train];
    for (int k = 0; k < train; k++) {
      y[k] = k % classes;
    }
    double[] logits = new double[train * classes];
    head.logits(h, train, logits);
    long t0 = System.nanoTime();
    TrainingSums.Result sums = new TrainingSums(classes, dim).add(h, logits, y, train).result();
    double sumsSeconds = (System.nanoTime() - t0) / 1e9;
    double[] sens = new double[classes * dim];
    for (int i = 0; i < sens.length; i++) {
      sens[i] = Math.abs(rng.nextGaussian());
    }
    double[] neurons = new double[dim];
    for (int j = 0; j < dim; j++) {
      neurons[j] = Math.abs(rng.nextGaussian());
    }
    FittedState state = FittedState.builder().training(sums)
        .react(Param.REACT_PERCENTILE.grid(), new double[] {0.8, 0.9, 1.0, 1.2, 1.5})
        .vim(VimSubspace.fit(head, sums.features(), 0), 1.0).bank(KnnBank.of(features(bank, rng), bank, dim))
        .guides(GuideBank.of(h, Math.min(train, 500), head))
        .sensitivity(new Sensitivity(classes, dim, train, 1, sens, neurons, "synthetic", "synthetic")).build();
    List<DetectorSpec> specs = DetectorSpec.grid(new PruningPercentages(2, 0, 30, 10), state.bank(), classes);
    t0 = System.nanoTime();
    List<OodMethod> methods = new ArrayList<>();
    for (DetectorSpec s : specs) {
      methods.add(s.build(head, state, 1.0));
    }
    double fitSeconds = (System.nanoTime() - t0) / 1e9;
    double[] q = features(rows, rng);

    Map<String, double[]> perMethod = new LinkedHashMap<>();  // method → {alone ms, shared ms}
    double alone = Double.POSITIVE_INFINITY;
    double shared = Double.POSITIVE_INFINITY;
    double[] out = new double[rows];
    for (int r = 0; r < repeats; r++) {
      Map<String, double[]> times = new LinkedHashMap<>();
      double a = 0;
      for (int i = 0; i < methods.size(); i++) {
        long s = System.nanoTime();
        methods.get(i).score(q, rows, out);
        double ms = (System.nanoTime() - s) / 1e6;
        times.computeIfAbsent(specs.get(i).method().key(), k -> new double[2])[0] += ms;
        a += ms;
      }
      Batch batch = new Batch(q, rows, dim);
      OodMethods.prepare(methods, batch);
      double b = 0;
      for (int i = 0; i < methods.size(); i++) {  // as OodMethods.scoreAll, timed per method
        long s = System.nanoTime();
        methods.get(i).score(batch, out);
        double ms = (System.nanoTime() - s) / 1e6;
        times.computeIfAbsent(specs.get(i).method().key(), k -> new double[2])[1] += ms;
        b += ms;
      }
      long s = System.nanoTime();
      OodMethods.scoreAll(methods, q, rows, new double[methods.size()][rows]);
      double all = (System.nanoTime() - s) / 1e6;
      if (all < shared) {
        shared = all;
        alone = Math.min(alone, a);
        perMethod = times;
      }
      alone = Math.min(alone, a);
    }
    System.out.printf(Locale.ROOT, "scoring %d configurations of %d methods, %d rows at D=%d, C=%d (KNN bank %d, "
        + "statistics of %d rows: %.1f s, fits %.1f s)%n%n", specs.size(), perMethod.size(), rows, dim, classes, bank,
        train, sumsSeconds, fitSeconds);
    System.out.println("| method | configurations | each alone (ms) | sharing one batch (ms) |");
    System.out.println("|---|---:|---:|---:|");
    for (Map.Entry<String, double[]> e : perMethod.entrySet()) {
      long n = specs.stream().filter(x -> x.method().key().equals(e.getKey())).count();
      System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f |%n", e.getKey(), n, e.getValue()[0], e.getValue()[1]);
    }
    System.out.printf(Locale.ROOT, "| **all (OodMethods.scoreAll)** | %d | **%.1f** | **%.1f** |%n%n", specs.size(),
        alone, shared);
    System.out.printf(Locale.ROOT, "bench-scoring alone_ms=%.1f shared_ms=%.1f ratio=%.2f blas=%s%n", alone, shared,
        alone / shared, NativeLinearAlgebra.get().description().replace(' ', '_'));
    return 0;
  }

  /** ReLU features with a positive mean, like a CNN's pooled activations. */
  private double[] features(int n, Random rng) {
    double[] f = new double[n * dim];
    for (int i = 0; i < f.length; i++) {
      f[i] = Math.max(0, rng.nextGaussian() + 0.2);
    }
    return f;
  }
}
