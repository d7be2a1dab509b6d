package io.opnp.numerics;

import io.opnp.math.Check;
import java.util.List;

/**
 * The engine self-test network computed in float64, the Java twin of
 * {@code src/main/python/make_selftest_model.py}: the same layers with weights and inputs from the
 * same integer formula ({@link #value}), so the reference never reads the TorchScript file and owes
 * nothing to libtorch. It takes the convolution paths real models take: a 7×7 stride-2 stem, 3×3
 * and 1×1 convolutions at stride 1 and 2 with padding, a max-pool, batch norm, residual adds, and
 * channel counts that are (48, 64) and are not (3, 24, 40) multiples of 16.
 */
public final class SelfTestNet {
  public static final int CHANNELS = 3;
  public static final int SIZE = 64;
  public static final int FEATURES = 64;
  public static final int CLASSES = 10;
  /** Batch sizes the self-test runs: one image alone, and a batch above oneDNN's batch threshold (16). */
  public static final int[] BATCHES = {1, 17};

  private static final double BN_EPS = 1e-5;

  /** One convolution (weights [out, in, k, k]) and whether batch norm follows it. */
  record Conv(String name, int in, int out, int k, int stride, int pad, boolean bn) {}

  static final List<Conv> CONVS = List.of(
      new Conv("stem", 3, 24, 7, 2, 3, true),
      new Conv("b1a", 24, 24, 3, 1, 1, true),
      new Conv("b1b", 24, 24, 3, 1, 1, true),
      new Conv("b2a", 24, 48, 3, 2, 1, true),
      new Conv("b2s", 24, 48, 1, 2, 0, false),
      new Conv("c5", 48, 40, 1, 1, 0, false),
      new Conv("c6", 40, 64, 3, 1, 1, true));

  /** The numeric type the network's weights and input are stored in. */
  public enum Storage { FP32, BF16 }

  private final Storage storage;
  private final Layer[] layers = new Layer[CONVS.size()];
  private final double[] fcW;
  private final double[] fcB;

  private record Layer(Conv conv, double[] w, double[] b, double[] bnScale, double[] bnShift) {}

  public SelfTestNet(Storage storage) {
    this.storage = storage;
    int t = 0;
    for (int i = 0; i < CONVS.size(); i++) {
      Conv c = CONVS.get(i);
      double[] w = fill(t, c.out() * c.in() * c.k() * c.k(), 1.5 / Math.sqrt(c.in() * c.k() * c.k()), 0);
      double[] b = fill(t + 1, c.out(), 0.1, 0);
      t += 2;
      double[] scale = null;
      double[] shift = null;
      if (c.bn()) {
        double[] g = fill(t, c.out(), 0.2, 1.0);
        double[] beta = fill(t + 1, c.out(), 0.1, 0);
        double[] mean = fill(t + 2, c.out(), 0.1, 0);
        double[] var = fill(t + 3, c.out(), 0.4, 1.0);
        t += 4;
        scale = new double[c.out()];
        shift = new double[c.out()];
        for (int o = 0; o < c.out(); o++) {
          scale[o] = g[o] / Math.sqrt(var[o] + BN_EPS);
          shift[o] = beta[o] - mean[o] * scale[o];
        }
      }
      layers[i] = new Layer(c, w, b, scale, shift);
    }
    fcW = fill(t, CLASSES * FEATURES, 1.5 / Math.sqrt(FEATURES), 0);
    fcB = fill(t + 1, CLASSES, 0.1, 0);
  }

  /** The formula: a value in [-1, 1] for element {@code i} of tensor number {@code tensor}, exact in float64. */
  public static double value(int tensor, long i) {
    return ((i * 7919 + tensor * 104729L + 13) % 2003 - 1001) / 1001.0;
  }

  /** The self-test input: {@code n} images of 3×64×64, float32 as the model receives them. */
  public static float[] input(int n) {
    Check.positive(n, "self-test batch");
    float[] x = new float[n * CHANNELS * SIZE * SIZE];
    for (int k = 0; k < x.length; k++) {
      x[k] = (float) value(1000 + k, k);
    }
    return x;
  }

  /** Features (n×64) and logits (n×10) in float64, from the input as stored (bf16 rounds it first). */
  public Outputs forward(float[] input, int n) {
    Check.capacity(input, (long) n * CHANNELS * SIZE * SIZE, "self-test input");
    double[] h = new double[n * FEATURES];
    double[] f = new double[n * CLASSES];
    int px = CHANNELS * SIZE * SIZE;
    for (int s = 0; s < n; s++) {
      double[] x = new double[px];
      for (int i = 0; i < px; i++) {
        x[i] = stored(input[s * px + i]);
      }
      Map a = new Map(x, CHANNELS, SIZE, SIZE);
      a = maxPool(relu(conv(layers[0], a)));
      Map r = conv(layers[2], relu(conv(layers[1], a)));
      a = relu(add(r, a));
      a = relu(add(conv(layers[3], a), conv(layers[4], a)));
      a = relu(conv(layers[5], a));
      a = relu(conv(layers[6], a));
      int plane = a.h * a.w;
      for (int c = 0; c < FEATURES; c++) {
        double sum = 0;
        for (int i = 0; i < plane; i++) {
          sum += a.v[c * plane + i];
        }
        h[s * FEATURES + c] = sum / plane;
      }
      for (int k = 0; k < CLASSES; k++) {
        double z = fcB[k];
        for (int j = 0; j < FEATURES; j++) {
          z += fcW[k * FEATURES + j] * h[s * FEATURES + j];
        }
        f[s * CLASSES + k] = z;
      }
    }
    return new Outputs(h, f, n);
  }

  /** Reference outputs, row-major. */
  public record Outputs(double[] features, double[] logits, int n) {}

  private double[] fill(int tensor, int count, double scale, double offset) {
    double[] out = new double[count];
    for (int i = 0; i < count; i++) {
      out[i] = stored((float) (offset + scale * value(tensor, i)));
    }
    return out;
  }

  private double stored(float v) {
    return storage == Storage.BF16 ? Bf16.round(v) : v;
  }

  private record Map(double[] v, int c, int h, int w) {}

  private static Map conv(Layer l, Map x) {
    Conv c = l.conv();
    int oh = (x.h + 2 * c.pad() - c.k()) / c.stride() + 1;
    int ow = (x.w + 2 * c.pad() - c.k()) / c.stride() + 1;
    double[] y = new double[c.out() * oh * ow];
    int k = c.k();
    for (int o = 0; o < c.out(); o++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          double sum = l.b()[o];
          for (int i = 0; i < c.in(); i++) {
            int wBase = ((o * c.in() + i) * k) * k;
            int xBase = i * x.h * x.w;
            for (int ky = 0; ky < k; ky++) {
              int iy = oy * c.stride() - c.pad() + ky;
              if (iy < 0 || iy >= x.h) {
                continue;
              }
              for (int kx = 0; kx < k; kx++) {
                int ix = ox * c.stride() - c.pad() + kx;
                if (ix >= 0 && ix < x.w) {
                  sum += l.w()[wBase + ky * k + kx] * x.v[xBase + iy * x.w + ix];
                }
              }
            }
          }
          y[(o * oh + oy) * ow + ox] = c.bn() ? sum * l.bnScale()[o] + l.bnShift()[o] : sum;
        }
      }
    }
    return new Map(y, c.out(), oh, ow);
  }

  private static Map relu(Map x) {
    double[] y = x.v.clone();
    for (int i = 0; i < y.length; i++) {
      y[i] = Math.max(0, y[i]);
    }
    return new Map(y, x.c, x.h, x.w);
  }

  private static Map add(Map a, Map b) {
    double[] y = a.v.clone();
    for (int i = 0; i < y.length; i++) {
      y[i] += b.v[i];
    }
    return new Map(y, a.c, a.h, a.w);
  }

  /** 3×3 max-pool, stride 2, padding 1 (padding never wins). */
  private static Map maxPool(Map x) {
    int oh = (x.h + 2 - 3) / 2 + 1;
    int ow = (x.w + 2 - 3) / 2 + 1;
    double[] y = new double[x.c * oh * ow];
    for (int c = 0; c < x.c; c++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          double m = Double.NEGATIVE_INFINITY;
          for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
              int iy = oy * 2 - 1 + ky;
              int ix = ox * 2 - 1 + kx;
              if (iy >= 0 && iy < x.h && ix >= 0 && ix < x.w) {
                m = Math.max(m, x.v[(c * x.h + iy) * x.w + ix]);
              }
            }
          }
          y[(c * oh + oy) * ow + ox] = m;
        }
      }
    }
    return new Map(y, x.c, oh, ow);
  }
}
