package io.opnp.math;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import dev.ludovic.netlib.lapack.JavaLAPACK;
import dev.ludovic.netlib.lapack.LAPACK;
import dev.ludovic.netlib.lapack.NativeLAPACK;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which BLAS and LAPACK this JVM uses, decided once: OpenBLAS through netlib's JNI binding when the
 * machine's {@code libblas.so.3}/{@code liblapack.so.3} are OpenBLAS's (the project's set-up installs
 * Debian's {@code libopenblas0-pthread}) and agree with netlib's Java implementation on a check
 * product, else the Java implementation. Measured at 2048 × 1000 on a Zen 5 core: a head's product
 * of 256 rows 23 ms against 41 ms, {@code dsyrk} 8 times faster, float32 products twice as fast.
 *
 * <p>Only OpenBLAS is taken: Debian's reference BLAS, which many packages pull in as
 * {@code libblas.so.3}, is unblocked Fortran and slower than the Java code. Sums round differently
 * in the last bits from one implementation (and CPU) to another, about 1e-16 relative; within a JVM
 * the choice is fixed. Set {@code OPNP_BLAS} (or {@code -Dopnp.blas}) to {@code java} to force the
 * Java implementation, {@code native} to take whatever native library is installed. OpenBLAS is set
 * to one thread ({@code openblas_set_num_threads(1)}, whatever {@code OPENBLAS_NUM_THREADS} says):
 * Spark already runs a task per core, and a thread pool per task would oversubscribe them.
 */
public final class NativeLinearAlgebra {
  private static final Logger LOG = LoggerFactory.getLogger(NativeLinearAlgebra.class);

  /** The chosen pair and why. */
  public record Choice(BLAS blas, LAPACK lapack, String description) {}

  private static volatile Choice choice;

  private NativeLinearAlgebra() {}

  /** The choice of this JVM (made on first use). */
  public static Choice get() {
    Choice c = choice;
    if (c == null) {
      synchronized (NativeLinearAlgebra.class) {
        if (choice == null) {
          choice = choose();
          LOG.info("linear algebra: {}", choice.description());
        }
        c = choice;
      }
    }
    return c;
  }

  private static Choice choose() {
    String mode = Optional.ofNullable(System.getProperty("opnp.blas")).orElse(
        Optional.ofNullable(System.getenv("OPNP_BLAS")).orElse("auto")).trim().toLowerCase(Locale.ROOT);
    Choice java = new Choice(JavaBLAS.getInstance(), JavaLAPACK.getInstance(), "netlib's Java BLAS and LAPACK");
    if (mode.equals("java")) {
      return describe(java, "(OPNP_BLAS=java)");
    }
    if (!mode.equals("auto") && !mode.equals("native")) {
      throw new IllegalArgumentException("OPNP_BLAS (or -Dopnp.blas) must be auto, java or native, got " + mode);
    }
    BLAS blas;
    LAPACK lapack;
    try {
      blas = NativeBLAS.getInstance();
      lapack = NativeLAPACK.getInstance();
    } catch (Throwable t) {  // no libblas.so.3 / liblapack.so.3, or not Linux: the JNI binding does not load
      return describe(java, "(no native BLAS and LAPACK: " + t.getMessage() + ")");
    }
    String blasLib = mapped("libblas").orElse("?");
    String lapackLib = mapped("liblapack").orElse("?");
    if (mode.equals("auto") && !(blasLib.contains("openblas") && lapackLib.contains("openblas"))) {
      return describe(java, "(the native libraries are not OpenBLAS's: " + blasLib + ", " + lapackLib + ")");
    }
    String disagreement = check(blas, lapack);
    if (disagreement != null) {
      LOG.warn("linear algebra: the native BLAS/LAPACK ({}) disagrees with the Java implementation ({}); using Java",
          blasLib, disagreement);
      return describe(java, "(native " + blasLib + " disagreed: " + disagreement + ")");
    }
    return new Choice(blas, lapack, "native " + blasLib + " and " + lapackLib + " (" + oneThread() + ")");
  }

  /** Sets OpenBLAS to one thread through its own {@code openblas_set_num_threads}; says how it went. */
  private static String oneThread() {
    Optional<String> lib = mapped("libopenblas");
    if (lib.isEmpty()) {
      return "threads as OPENBLAS_NUM_THREADS says: " + System.getenv("OPENBLAS_NUM_THREADS");
    }
    try {
      // Opened without RTLD_GLOBAL (JNA's default adds it): only to reach this one function.
      com.sun.jna.NativeLibrary.getInstance(lib.get(), java.util.Map.of(com.sun.jna.Library.OPTION_OPEN_FLAGS, 1))
          .getFunction("openblas_set_num_threads").invokeVoid(new Object[] {1});
      return "one thread";
    } catch (RuntimeException | LinkageError e) {
      return "threads as OPENBLAS_NUM_THREADS says (" + System.getenv("OPENBLAS_NUM_THREADS") + "): " + e.getMessage();
    }
  }

  private static Choice describe(Choice c, String why) {
    return new Choice(c.blas(), c.lapack(), c.description() + " " + why);
  }

  /** The file of the first loaded library whose name starts with {@code name}, from /proc/self/maps. */
  private static Optional<String> mapped(String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
        int slash = line.lastIndexOf('/');
        if (slash >= 0 && line.substring(slash + 1).startsWith(name)) {
          return Optional.of(line.substring(line.indexOf('/')));
        }
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * Null when a product and a Cholesky factor of a fixed random matrix agree with the Java
   * implementation's to 1e-10 relative, else what differed.
   */
  static String check(BLAS blas, LAPACK lapack) {
    Random rng = new Random(20231127L);
    int m = 67;
    int n = 53;
    int k = 61;
    double[] a = new double[m * k];
    double[] b = new double[k * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = rng.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = rng.nextGaussian();
    }
    double[] want = new double[m * n];
    double[] got = new double[m * n];
    JavaBLAS.getInstance().dgemm("T", "N", m, n, k, 1.0, a, k, b, k, 0.0, want, m);
    blas.dgemm("T", "N", m, n, k, 1.0, a, k, b, k, 0.0, got, m);
    double gemm = deviation(want, got);
    if (!(gemm < 1e-10)) {
      return "dgemm relative deviation " + gemm;
    }
    // An SPD matrix AᵀA + I (k×k) factored by both.
    double[] spd = new double[k * k];
    JavaBLAS.getInstance().dgemm("N", "T", k, k, m, 1.0, a, k, a, k, 0.0, spd, k);
    for (int i = 0; i < k; i++) {
      spd[i * k + i] += 1;
    }
    double[] l1 = spd.clone();
    double[] l2 = spd.clone();
    org.netlib.util.intW i1 = new org.netlib.util.intW(0);
    org.netlib.util.intW i2 = new org.netlib.util.intW(0);
    JavaLAPACK.getInstance().dpotrf("U", k, l1, k, i1);
    lapack.dpotrf("U", k, l2, k, i2);
    if (i1.val != 0 || i2.val != 0) {
      return "dpotrf info " + i1.val + " (Java) against " + i2.val;
    }
    for (int c = 0; c < k; c++) {  // only the upper triangle is the factor
      for (int r = c + 1; r < k; r++) {
        l1[c * k + r] = 0;
        l2[c * k + r] = 0;
      }
    }
    double chol = deviation(l1, l2);
    return chol < 1e-10 ? null : "dpotrf relative deviation " + chol;
  }

  private static double deviation(double[] want, double[] got) {
    double scale = 0;
    double diff = 0;
    for (int i = 0; i < want.length; i++) {
      scale = Math.max(scale, Math.abs(want[i]));
      diff = Math.max(diff, Math.abs(want[i] - got[i]));
    }
    return diff / scale;
  }
}
