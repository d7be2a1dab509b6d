package io.opnp.numerics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NumericsPolicyTest {
  // The machine of issue 9: AMD EPYC family 26 in a VM that lists no caches.
  static final String EPYC_TURIN = """
      processor	: 0
      vendor_id	: AuthenticAMD
      cpu family	: 26
      model		: 2
      model name	: AMD EPYC
      flags		: fpu sse sse2 avx avx2 fma avx512f avx512bw avx512vl avx512_vnni avx512_bf16 avx512_vp2intersect

      processor	: 1
      vendor_id	: AuthenticAMD
      flags		: fpu sse
      """;
  static final String AVX2_ONLY = """
      vendor_id	: GenuineIntel
      cpu family	: 6
      model		: 85
      model name	: Intel(R) Xeon(R) CPU
      flags		: fpu sse avx avx2 fma
      """;
  // The machine of issue 16: AMD EPYC Zen 3 (Milan), AVX2 and FMA, no AVX-512 at all.
  static final String EPYC_MILAN = """
      vendor_id	: AuthenticAMD
      cpu family	: 25
      model		: 1
      model name	: AMD EPYC
      flags		: fpu sse sse2 avx f16c fma avx2 bmi2 sha_ni vaes vpclmulqdq
      """;
  // Intel Ice Lake server: AVX-512 without BF16.
  static final String ICE_LAKE = """
      vendor_id	: GenuineIntel
      cpu family	: 6
      model		: 106
      model name	: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
      flags		: fpu sse avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni avx512_vbmi2
      """;

  @Test
  void parsesTheFirstProcessorOfProcCpuinfo() {
    CpuInfo c = CpuInfo.parse("amd64", EPYC_TURIN, true, 2);
    assertEquals("AuthenticAMD", c.vendor());
    assertEquals(26, c.family());
    assertEquals(2, c.model());
    assertEquals("AMD EPYC", c.modelName());
    assertTrue(c.avx512());
    assertTrue(c.flags().contains("avx512_vp2intersect"));
    assertTrue(c.isaSummary().contains("avx512_bf16"), c.isaSummary());
  }

  @Test
  void anAvx512CpuHidingItsCachesIsKnownToTripAndNothingElseIs() {
    assertTrue(CpuInfo.parse("amd64", EPYC_TURIN, false, 2).knownToTrip());
    assertFalse(CpuInfo.parse("amd64", EPYC_TURIN, true, 2).knownToTrip());
    assertFalse(CpuInfo.parse("amd64", AVX2_ONLY, false, 2).knownToTrip(), "no AVX-512 kernels to go wrong");
    assertFalse(CpuInfo.parse("aarch64", EPYC_TURIN, false, 2).knownToTrip(), "not x86");
    assertTrue(CpuInfo.parse("amd64", EPYC_TURIN, false, 2).describe().contains("NOT visible"));
  }

  @Test
  void autoStartsInTheSafeModeBeforeLibtorchOnlyOnAKnownTrippingCpu() {
    NumericsPolicy.Choice tripping = NumericsPolicy.initial(CpuInfo.parse("amd64", EPYC_TURIN, false, 2), null, null);
    assertEquals(NumericsPolicy.PREFERRED_SAFE, tripping.mode());
    assertTrue(tripping.automatic());
    assertTrue(tripping.reason().contains("hides the cache"), tripping.reason());
    NumericsPolicy.Choice fine = NumericsPolicy.initial(CpuInfo.parse("amd64", EPYC_TURIN, true, 2), "auto", null);
    assertEquals(NumericsMode.DEFAULT, fine.mode());
    assertTrue(fine.automatic());
  }

  @Test
  void everyCpuOfTheMachineKindGetsItsModeAndAReasonNamingWhatDecidedIt() {
    for (boolean cacheVisible : new boolean[] {true, false}) {
      NumericsPolicy.Choice milan = NumericsPolicy.initial(CpuInfo.parse("amd64", EPYC_MILAN, cacheVisible, 2), null, null);
      assertEquals(NumericsMode.DEFAULT, milan.mode(), "no AVX-512: nothing to cap, caches visible=" + cacheVisible);
      assertTrue(milan.reason().contains("no AVX-512") && milan.reason().contains("no safe mode needed"), milan.reason());
      assertEquals(NumericsMode.DEFAULT, NumericsPolicy.initial(CpuInfo.parse("amd64", AVX2_ONLY, cacheVisible, 2), null,
          null).mode());
      NumericsPolicy.Choice arm = NumericsPolicy.initial(CpuInfo.parse("aarch64", EPYC_TURIN, cacheVisible, 2), null, null);
      assertEquals(NumericsMode.DEFAULT, arm.mode());
      assertTrue(arm.reason().contains("not an x86 CPU"), arm.reason());
    }
    NumericsPolicy.Choice iceHidden = NumericsPolicy.initial(CpuInfo.parse("amd64", ICE_LAKE, false, 2), null, null);
    assertEquals(NumericsPolicy.PREFERRED_SAFE, iceHidden.mode(), "AVX-512 without BF16 trips too");
    assertTrue(iceHidden.reason().contains("GenuineIntel CPU has AVX-512 and its VM hides"), iceHidden.reason());
    NumericsPolicy.Choice iceVisible = NumericsPolicy.initial(CpuInfo.parse("amd64", ICE_LAKE, true, 2), null, null);
    assertEquals(NumericsMode.DEFAULT, iceVisible.mode());
    assertTrue(iceVisible.reason().contains("cache topology is visible"), iceVisible.reason());
  }

  @Test
  void aFailedSelfTestFallsBackToOnednnOffOnceAndThenFails() {
    CpuInfo cpu = CpuInfo.parse("amd64", EPYC_TURIN, true, 2);
    NumericsPolicy.Choice start = NumericsPolicy.initial(cpu, null, null);
    assertEquals(NumericsPolicy.Action.ACCEPT, NumericsPolicy.after(start, true));
    assertEquals(NumericsPolicy.Action.FALL_BACK, NumericsPolicy.after(start, false));
    NumericsPolicy.Choice next = NumericsPolicy.fallback(start, "the self-test",
        new Deviation(Double.POSITIVE_INFINITY, 0, Float.NaN, 1));
    assertEquals(NumericsMode.NO_ONEDNN, next.mode());
    assertTrue(next.reason().contains("the self-test failed in mode default"), next.reason());
    assertEquals(NumericsPolicy.Action.FAIL, NumericsPolicy.after(next, false), "no third mode to try");
    // The capped start falls back too.
    NumericsPolicy.Choice capped = NumericsPolicy.initial(CpuInfo.parse("amd64", EPYC_TURIN, false, 2), null, null);
    assertEquals(NumericsPolicy.Action.FALL_BACK, NumericsPolicy.after(capped, false));
  }

  @Test
  void aForcedModeIsKeptAndItsFailureStops() {
    CpuInfo tripping = CpuInfo.parse("amd64", EPYC_TURIN, false, 2);
    NumericsPolicy.Choice forced = NumericsPolicy.initial(tripping, "default", null);
    assertEquals(NumericsMode.DEFAULT, forced.mode(), "the user's choice wins over the CPU check");
    assertFalse(forced.automatic());
    assertEquals(NumericsPolicy.Action.FAIL, NumericsPolicy.after(forced, false));
    assertEquals(NumericsMode.NO_ONEDNN, NumericsPolicy.initial(tripping, " No-OneDNN ", null).mode());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NumericsPolicy.initial(tripping, "fast", null));
    assertTrue(e.getMessage().contains("'fast'") && e.getMessage().contains("OPNP_NUMERICS"), e.getMessage());
  }

  @Test
  void aUserIsaCapInTheEnvironmentIsLeftAloneButMayStillFallBack() {
    NumericsPolicy.Choice c = NumericsPolicy.initial(CpuInfo.parse("amd64", EPYC_TURIN, false, 2), null, "AVX2_VNNI");
    assertEquals(NumericsMode.USER_ISA, c.mode());
    assertTrue(c.reason().contains("ONEDNN_MAX_CPU_ISA=AVX2_VNNI"));
    assertEquals(NumericsPolicy.Action.FALL_BACK, NumericsPolicy.after(c, false));
  }

  @Test
  void theFixNamesTheVariableForExecutorsAndEachDriverKind() {
    String fix = NumericsPolicy.fix(false, false, true);
    for (String s : new String[] {"export ONEDNN_MAX_CPU_ISA=AVX2", "spark.executorEnv.ONEDNN_MAX_CPU_ISA=AVX2",
        "spark.yarn.appMasterEnv.ONEDNN_MAX_CPU_ISA=AVX2", "spark.kubernetes.driverEnv.ONEDNN_MAX_CPU_ISA=AVX2",
        "opnp doctor"}) {
      assertTrue(fix.contains(s), s + " missing from: " + fix);
    }
  }

  @Test
  void theFixDoesNotRepeatWhatFailedAndNamesAForcedMode() {
    String afterAvx2 = NumericsPolicy.fix(false, true, true);
    assertTrue(afterAvx2.contains("did not help") && afterAvx2.contains("spark.executorEnv.ONEDNN_MAX_CPU_ISA=SSE41"),
        afterAvx2);
    assertFalse(afterAvx2.contains("=AVX2 "), afterAvx2);
    assertTrue(NumericsPolicy.fix(true, false, true).startsWith("remove the forced numerics mode (-Dopnp.numerics"));
    String arm = NumericsPolicy.fix(false, false, false);
    assertFalse(arm.contains("ONEDNN_MAX_CPU_ISA"), arm);
  }
}
