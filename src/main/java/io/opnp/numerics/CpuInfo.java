package io.opnp.numerics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What Linux says about the processor: vendor, family, model, ISA flags, and whether the cache
 * topology is visible (the kernel lists caches under sysfs only when CPUID reports them).
 *
 * <p>Why the cache matters: oneDNN 3.2–3.7 (inside libtorch 2.5–2.7) sizes the blocks of its
 * AVX-512 kernels from the CPUID cache leaves without checking they are filled in; on a VM that
 * reports no caches those kernels compute wrong values or NaN (issue 9). Such a processor is
 * {@link #knownToTrip() known to trip} the fault before any test runs.
 */
public record CpuInfo(String arch, String vendor, String modelName, int family, int model, Set<String> flags,
                      boolean cacheVisible, int cpus) {
  public CpuInfo {
    flags = Set.copyOf(flags);
  }

  private static final Path CPUINFO = Path.of("/proc/cpuinfo");
  private static final Path CACHE = Path.of("/sys/devices/system/cpu/cpu0/cache");

  /** This machine, as Linux reports it; on other systems only the architecture is known. */
  public static CpuInfo read() {
    String arch = System.getProperty("os.arch", "unknown");
    int cpus = Runtime.getRuntime().availableProcessors();
    try {
      String text = Files.isReadable(CPUINFO) ? Files.readString(CPUINFO) : "";
      return parse(arch, text, hasCacheEntries(CACHE), cpus);
    } catch (IOException | RuntimeException e) {
      return new CpuInfo(arch, "unknown", "unknown", -1, -1, Set.of(), true, cpus);
    }
  }

  private static boolean hasCacheEntries(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (var entries = Files.list(dir)) {
      return entries.anyMatch(p -> p.getFileName().toString().startsWith("index"));
    }
  }

  /** Parses the first processor of a {@code /proc/cpuinfo} text. */
  public static CpuInfo parse(String arch, String cpuinfo, boolean cacheVisible, int cpus) {
    String vendor = "unknown";
    String name = "unknown";
    int family = -1;
    int model = -1;
    Set<String> flags = new TreeSet<>();
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        if (line.isBlank() && !flags.isEmpty()) {
          break;  // end of the first processor
        }
        continue;
      }
      String key = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      switch (key) {
        case "vendor_id" -> vendor = value;
        case "model name" -> name = value;
        case "cpu family" -> family = parseInt(value);
        case "model" -> model = parseInt(value);
        case "flags", "Features" -> flags.addAll(Arrays.asList(value.split("\\s+")));
        default -> { }
      }
    }
    return new CpuInfo(arch, vendor, name, family, model, flags, cacheVisible, cpus);
  }

  private static int parseInt(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  public boolean x86() {
    String a = arch.toLowerCase(Locale.ROOT);
    return a.equals("amd64") || a.equals("x86_64");
  }

  public boolean avx512() {
    return flags.contains("avx512f");
  }

  /**
   * An x86 processor with AVX-512 whose cache topology the VM hides: the kind on which oneDNN's
   * AVX-512 kernels were seen to compute wrong features (AMD EPYC, family 26, in a VM listing no
   * caches). Without AVX-512 those kernels are never chosen.
   */
  public boolean knownToTrip() {
    return x86() && avx512() && !cacheVisible;
  }

  /** Why this processor is or is not {@link #knownToTrip() known to trip} oneDNN, for the logs and doctor. */
  public String tripReason() {
    if (!x86()) {
      return "not an x86 CPU, so oneDNN's x86 AVX-512 kernels, where the fault was seen, never run; no safe mode needed";
    }
    if (!avx512()) {
      return "this CPU has no AVX-512, so oneDNN never selects the AVX-512 kernels that compute wrong values when a VM "
          + "hides the caches (it runs its AVX2 ones, as the safe mode would); no safe mode needed";
    }
    if (cacheVisible) {
      return "this CPU has AVX-512 and its cache topology is visible, so oneDNN sizes its AVX-512 kernels from real "
          + "cache sizes; no safe mode needed";
    }
    return "this " + vendor + " CPU has AVX-512 and its VM hides the cache topology, on which oneDNN's AVX-512 kernels "
        + "compute wrong values";
  }

  /** The ISA flags that decide oneDNN's kernels, for the logs and {@code opnp doctor}. */
  public String isaSummary() {
    StringBuilder sb = new StringBuilder();
    for (String f : new String[] {"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
        "avx512_fp16", "amx_bf16", "amx_tile", "asimd", "sve"}) {
      if (flags.contains(f)) {
        sb.append(sb.length() == 0 ? "" : " ").append(f);
      }
    }
    return sb.length() == 0 ? "none of avx2/avx512/asimd/sve" : sb.toString();
  }

  public String describe() {
    return String.format("%s %s (%s family %d model %d), %d CPU(s), %s; cache information %s", arch, modelName,
        vendor, family, model, cpus, isaSummary(), cacheVisible ? "visible" : "NOT visible (hidden by the VM)");
  }
}
