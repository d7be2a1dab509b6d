package io.opnp.model;

import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The few native switches DJL does not expose, reached through JNA (on the classpath with DJL):
 * the C environment (oneDNN reads {@code ONEDNN_MAX_CPU_ISA} with {@code getenv}, once, when it
 * first dispatches; Java's {@code System.getenv} is a read-only copy), libtorch's oneDNN switch
 * for convolutions, and libtorch's build configuration. Linux only; callers treat a failure as
 * "not available".
 */
final class NativeTorch {
  private NativeTorch() {}

  /** Sets a variable in this process's C environment. */
  static void setenv(String name, String value) {
    int rc = NativeLibrary.getInstance("c").getFunction("setenv").invokeInt(new Object[] {name, value, 1});
    if (rc != 0) {
      throw new IllegalStateException("setenv(" + name + ") failed with " + rc);
    }
  }

  /** The variable as the C library sees it (null when unset). */
  static String getenv(String name) {
    Pointer p = NativeLibrary.getInstance("c").getFunction("getenv").invokePointer(new Object[] {name});
    return p == null ? null : p.getString(0);
  }

  private static NativeLibrary torchCpu() {
    Path lib = Path.of(LibUtils.getLibtorchPath()).resolve("libtorch_cpu.so");
    if (!Files.isRegularFile(lib)) {
      throw new IllegalStateException("no " + lib);
    }
    // RTLD_LAZY without RTLD_GLOBAL (JNA's default adds it): libtorch_cpu exports MKL's BLAS and LAPACK
    // (dgemm_, dpotrf_, ...), which, made global, would shadow OpenBLAS's for netlib's native binding and make
    // its products vary in the last bits with the arrays' alignment.
    return NativeLibrary.getInstance(lib.toString(), java.util.Map.of(com.sun.jna.Library.OPTION_OPEN_FLAGS, RTLD_LAZY));
  }

  /** dlfcn.h's RTLD_LAZY; RTLD_LOCAL is 0. */
  private static final int RTLD_LAZY = 1;

  private static Pointer globalContext(NativeLibrary lib) {
    return lib.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
  }

  /** {@code at::globalContext().setUserEnabledMkldnn(on)}: whether convolutions may use oneDNN. */
  static void setOnednnEnabled(boolean on) {
    NativeLibrary lib = torchCpu();
    lib.getFunction("_ZN2at7Context20setUserEnabledMkldnnEb").invokeVoid(new Object[] {globalContext(lib), on});
  }

  /** {@code at::globalContext().userEnabledMkldnn()}. */
  static boolean onednnEnabled() {
    NativeLibrary lib = torchCpu();
    return (lib.getFunction("_ZNK2at7Context17userEnabledMkldnnEv").invokeInt(new Object[] {globalContext(lib)}) & 0xff) != 0;
  }

  /**
   * {@code at::show_config()}: libtorch's build summary (compiler, oneDNN and MKL versions, CPU
   * capability). The std::string comes back through a hidden result pointer (Itanium C++ ABI): its
   * first word is the data pointer, its second the length. Its buffer is not freed (once per JVM).
   */
  static String showConfig() {
    Function f = torchCpu().getFunction("_ZN2at11show_configB5cxx11Ev");
    Memory result = new Memory(64);
    f.invoke(Pointer.class, new Object[] {result});
    Pointer data = result.getPointer(0);
    long length = result.getLong(8);
    if (data == null || length < 0 || length > 1 << 20) {
      throw new IllegalStateException("unexpected std::string layout (length " + length + ")");
    }
    return new String(data.getByteArray(0, (int) length), StandardCharsets.UTF_8);
  }
}
