package io.opnp.numerics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SelfTestNetTest {
  @Test
  void bf16RoundsToNearestEvenOnTheUpperSixteenBits() {
    assertEquals(1.0f, Bf16.round(1.0f));
    assertEquals(1.0f, Bf16.round(1.00390625f), "halfway between 1 and 1+2^-7 goes to the even 1");
    assertEquals(1.015625f, Bf16.round(1.01171875f), "halfway between 1+2^-7 and 1+2^-6 goes to the even 1+2^-6");
    assertEquals(1.0078125f, Bf16.round(1.0078f));
    assertTrue(Float.isNaN(Bf16.round(Float.NaN)));
    assertEquals(Float.POSITIVE_INFINITY, Bf16.round(Float.POSITIVE_INFINITY));
  }

  @Test
  void theFormulaIsExactAndSpansMinusOneToOne() {
    double lo = 1;
    double hi = -1;
    for (int i = 0; i < 5000; i++) {
      double v = SelfTestNet.value(3, i);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assertEquals(-1.0, lo);
    assertEquals(1001.0 / 1001.0, hi);
    assertEquals(((13L) % 2003 - 1001) / 1001.0, SelfTestNet.value(0, 0));
  }

  @Test
  void aBatchOfSeventeenStartsWithTheImageOfTheBatchOfOne() {
    float[] one = SelfTestNet.input(1);
    float[] many = SelfTestNet.input(17);
    for (int i = 0; i < one.length; i++) {
      assertEquals(one[i], many[i]);
    }
    SelfTestNet net = new SelfTestNet(SelfTestNet.Storage.FP32);
    SelfTestNet.Outputs a = net.forward(one, 1);
    SelfTestNet.Outputs b = net.forward(many, 17);
    for (int j = 0; j < SelfTestNet.CLASSES; j++) {
      assertEquals(a.logits()[j], b.logits()[j]);
    }
    assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(b.logits(), 0, 10),
        java.util.Arrays.copyOfRange(b.logits(), 10, 20)), "the images differ, so must their logits");
  }

  @Test
  void bf16StorageMovesTheReferenceByBf16RoundingNotMore() {
    float[] x = SelfTestNet.input(2);
    SelfTestNet.Outputs fp32 = new SelfTestNet(SelfTestNet.Storage.FP32).forward(x, 2);
    SelfTestNet.Outputs bf16 = new SelfTestNet(SelfTestNet.Storage.BF16).forward(x, 2);
    float[] asFloat = new float[fp32.logits().length];
    for (int i = 0; i < asFloat.length; i++) {
      asFloat[i] = (float) bf16.logits()[i];
    }
    Deviation d = Deviation.of(asFloat, fp32.logits(), asFloat.length);
    assertTrue(d.relative() > 1e-5 && d.relative() < 3e-2, "bf16 vs fp32 reference: " + d);
  }

  @Test
  void aNonFiniteValueIsAnInfiniteDeviation() {
    Deviation d = Deviation.of(new float[] {1f, Float.NaN, 2f}, new double[] {1, 1, 2}, 3);
    assertEquals(Double.POSITIVE_INFINITY, d.relative());
    assertEquals(1, d.index());
    assertFalse(d.within(1e30));
    Deviation small = Deviation.of(new float[] {1f, 2.001f}, new double[] {1, 2}, 2);
    assertEquals(0.001 / 2, small.relative(), 1e-6);
    assertTrue(small.within(1e-3));
    assertFalse(small.within(1e-4));
  }
}
