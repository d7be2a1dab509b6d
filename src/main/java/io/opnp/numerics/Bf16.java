package io.opnp.numerics;

/** bfloat16 rounding as libtorch does it: float32 to its upper 16 bits, round to nearest even. */
public final class Bf16 {
  private Bf16() {}

  public static float round(float v) {
    if (Float.isNaN(v)) {
      return v;
    }
    int bits = Float.floatToRawIntBits(v);
    bits += 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(bits & 0xFFFF0000);
  }
}
