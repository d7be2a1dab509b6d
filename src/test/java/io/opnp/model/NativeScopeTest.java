package io.opnp.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.opnp.math.Blas;
import io.opnp.math.NativeLinearAlgebra;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * libtorch_cpu exports MKL's BLAS and LAPACK ({@code dgemm_}, {@code dpotrf_}, ...). Made global,
 * they would shadow OpenBLAS's for netlib's native binding, and MKL's products vary in the last bits
 * with the arrays' alignment: the same product of the same numbers would differ from call to call.
 */
class NativeScopeTest {
  @Test
  void loadingTheEngineLeavesLibtorchsBlasOutOfTheGlobalScope() throws Exception {
    EngineGuard.ensure();  // libtorch through DJL, and the project's own handle on it (NativeTorch)
    for (String symbol : List.of("dgemm_", "dpotrf_", "dsyrk_")) {
      long address;
      try {
        address = Pointer.nativeValue(NativeLibrary.getProcess().getFunction(symbol));
      } catch (UnsatisfiedLinkError notGlobal) {
        continue;  // nothing global defines it: fine
      }
      String file = mappedFile(address);
      assertFalse(file.contains("libtorch"), symbol + " resolves globally to " + file);
    }
  }

  @Test
  void aProductOfTheSameNumbersIsTheSameWhateverTheArraysAlignmentOnceTheEngineIsLoaded() {
    EngineGuard.ensure();
    Random r = new Random(7);
    int k = 20;
    int m = 300;
    double[] a = new double[m * k];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextGaussian();
    }
    Set<Integer> results = new HashSet<>();
    List<byte[]> shift = new java.util.ArrayList<>();
    for (int t = 0; t < 100; t++) {
      shift.add(new byte[8 + 8 * r.nextInt(8)]);  // moves the next arrays by multiples of 8 bytes
      double[] s = new double[k * k];
      Blas.get().dgemm("N", "T", k, k, m, 1.0, a.clone(), k, a.clone(), k, 0.0, s, k);
      results.add(Arrays.hashCode(s));
    }
    assertEquals(1, results.size(), "distinct results of one product (" + NativeLinearAlgebra.get().description() + ")");
  }

  /** The file mapped at {@code address}, from /proc/self/maps ("?" when none). */
  private static String mappedFile(long address) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      String[] range = line.substring(0, line.indexOf(' ')).split("-");
      if (Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16)) {
        int slash = line.indexOf('/');
        return slash < 0 ? "?" : line.substring(slash);
      }
    }
    return "?";
  }
}
