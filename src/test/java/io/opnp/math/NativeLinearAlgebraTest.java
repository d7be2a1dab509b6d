package io.opnp.math;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.lapack.JavaLAPACK;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/** The check a native BLAS must pass before it is used instead of netlib's Java implementation. */
class NativeLinearAlgebraTest {
  @Test
  void theJavaImplementationPassesTheCheck() {
    assertNull(NativeLinearAlgebra.check(JavaBLAS.getInstance(), JavaLAPACK.getInstance()));
  }

  @Test
  void theChosenImplementationPassesTheCheck() {
    NativeLinearAlgebra.Choice c = NativeLinearAlgebra.get();
    assertNull(NativeLinearAlgebra.check(c.blas(), c.lapack()), c.description());
  }

  @Test
  void aBlasWhoseProductsAreSlightlyOffIsRefusedNamingTheDeviation() {
    BLAS java = JavaBLAS.getInstance();
    // Java's BLAS, but every dgemm result's first element off by one part in a million.
    BLAS off = (BLAS) Proxy.newProxyInstance(BLAS.class.getClassLoader(), new Class<?>[] {BLAS.class}, (p, m, args) -> {
      Object r;
      try {
        r = m.invoke(java, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      if (m.getName().equals("dgemm") && args.length == 13) {
        double[] c = (double[]) args[11];
        c[0] *= 1 + 1e-6;
      }
      return r;
    });
    String why = NativeLinearAlgebra.check(off, JavaLAPACK.getInstance());
    assertNotNull(why);
    assertTrue(why.startsWith("dgemm relative deviation"), why);
  }
}
