package io.opnp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidationProxyTest {
  private static final int C = 3;
  private static final int H = 28;
  private static final int W = 28;

  private static float[] image(long seed) {
    Random r = new Random(seed);
    float[] x = new float[C * H * W];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  private static float[] apply(ValidationProxy p, float[] x, long seed) {
    float[] buf = new float[x.length + 10];  // at an offset, as in a batch buffer
    System.arraycopy(x, 0, buf, 5, x.length);
    p.apply(buf, 5, C, H, W, seed);
    assertEquals(0f, buf[0]);
    assertEquals(0f, buf[buf.length - 1]);
    return Arrays.copyOfRange(buf, 5, 5 + x.length);
  }

  private static float[] plane(float[] x, int c) {
    return Arrays.copyOfRange(x, c * H * W, (c + 1) * H * W);
  }

  @Test
  void shuffleAndPermuteRearrangeEachChannelsPixelsWithTheSameOrderForEveryChannel() {
    float[] x = image(1);
    for (ValidationProxy p : List.of(ValidationProxy.SHUFFLE, ValidationProxy.PERMUTE)) {
      float[] y = apply(p, x, 42);
      assertFalse(Arrays.equals(x, y), p + " changed nothing");
      for (int c = 0; c < C; c++) {
        float[] a = plane(x, c);
        float[] b = plane(y, c);
        Arrays.sort(a);
        Arrays.sort(b);
        assertArrayEquals(a, b, p + " must only move pixels");
      }
      // Where channel 0's pixel moved, channels 1 and 2 moved alike.
      for (int i = 0; i < H * W; i++) {
        int src = -1;
        for (int j = 0; j < H * W; j++) {
          if (x[j] == y[i]) {
            src = j;
          }
        }
        assertEquals(x[H * W + src], y[H * W + i], p + " at " + i);
      }
    }
  }

  @Test
  void fourQuarterTurnsTheSameWayGiveTheImageBack() {
    float[] x = image(2);
    float[] y = x;
    long seed = 7;  // the same seed turns the same way every time
    for (int k = 0; k < 4; k++) {
      y = apply(ValidationProxy.ROTATE, y, seed);
      if (k < 3) {
        assertFalse(Arrays.equals(x, y));
      }
    }
    assertArrayEquals(x, y);
  }

  @Test
  void blurSmoothsAndKeepsAConstantImageConstant() {
    float[] flat = new float[C * H * W];
    Arrays.fill(flat, 0.25f);
    float[] y = apply(ValidationProxy.BLUR, flat, 1);
    for (float v : y) {
      assertEquals(0.25f, v, 1e-6f);
    }
    float[] x = image(3);
    float[] b = apply(ValidationProxy.BLUR, x, 1);
    assertTrue(variance(plane(b, 0)) < 0.1 * variance(plane(x, 0)), "a strong blur removes most of white noise");
  }

  @Test
  void lowFrequencyNoiseKeepsEachChannelsMeanAndSpreadButNotItsContent() {
    float[] x = image(4);
    for (int i = 0; i < H * W; i++) {
      x[i] = x[i] * 2 + 1;  // channel 0: mean ≈ 1, std ≈ 2
    }
    float[] y = apply(ValidationProxy.LFNOISE, x, 9);
    for (int c = 0; c < C; c++) {
      assertEquals(mean(plane(x, c)), mean(plane(y, c)), 1e-5);
      assertEquals(Math.sqrt(variance(plane(x, c))), Math.sqrt(variance(plane(y, c))), 1e-4);
    }
    // Smooth: neighbours are far more alike than in the white-noise original.
    assertTrue(neighbourDiff(plane(y, 0)) < 0.2 * neighbourDiff(plane(x, 0)));
  }

  @Test
  void aProxyImageDependsOnlyOnItsIdAndDiffersBetweenIds() {
    float[] x = image(5);
    for (ValidationProxy p : ValidationProxy.values()) {
      if (p == ValidationProxy.BLUR) {
        continue;  // not random
      }
      float[] a = apply(p, x, ValidationProxy.seed("val-id/1"));
      float[] b = apply(p, x, ValidationProxy.seed("val-id/1"));
      float[] c = apply(p, x, ValidationProxy.seed("val-id/2"));
      assertArrayEquals(a, b, p.key());
      if (p != ValidationProxy.ROTATE) {  // two directions only: two ids may turn alike
        assertFalse(Arrays.equals(a, c), p.key());
      }
    }
  }

  @Test
  void proxyDatasetNamesCannotCollideWithUserNamesAndTheNameAloneMakesNoProxy() {
    for (ValidationProxy p : ValidationProxy.values()) {
      assertThrows(BadInputException.class, () -> DatasetSpec.checkName(p.datasetName("val-id")));
      // Which images become a proxy is declared to the model pass, never read out of a dataset's name.
      io.opnp.spark.RowLayout declared = io.opnp.spark.RowLayout.STANDARD.withProxies(
          java.util.Map.of(p.datasetName("val-id"), p));
      assertEquals(java.util.Map.of(p.datasetName("val-id"), p), declared.proxies());
      assertEquals(java.util.Map.of(), io.opnp.spark.RowLayout.STANDARD.proxies());
    }
    assertEquals(List.of(ValidationProxy.BLUR, ValidationProxy.SHUFFLE), ValidationProxy.parseList(" blur, SHUFFLE"));
    assertEquals(List.of(), ValidationProxy.parseList("none"));
    BadInputException e = assertThrows(BadInputException.class, () -> ValidationProxy.parseList("blur,mixup"));
    assertEquals("unknown validation proxy 'mixup'; choose from shuffle,permute,blur,rotate,lfnoise", e.getMessage());
    e = assertThrows(BadInputException.class, () -> ValidationProxy.parseList("blur,blur"));
    assertEquals("validation proxy 'blur' is listed twice in 'blur,blur'", e.getMessage());
  }

  @Test
  void theSplitHalvesTheValidationImagesByIdAlone() {
    int selection = 0;
    for (int i = 0; i < 10_000; i++) {
      selection += ValidationSplit.forSelection("val-id/" + i) ? 1 : 0;
      assertEquals(ValidationSplit.forSelection("val-id/" + i), ValidationSplit.forSelection(new String("val-id/" + i)));
    }
    assertTrue(Math.abs(selection - 5000) < 200, selection + " of 10000 in the selection half");
  }

  @Test
  void anIdKeepsOnlyItsClassFolderAndFileOfALocation() {
    assertEquals("000/a.JPEG", ValidationProxy.portable("file:/work/shared/imagenet/000/a.JPEG"));
    assertEquals("000/a.JPEG", ValidationProxy.portable("hdfs://namenode:8020/data/imagenet/000/a.JPEG"));
    assertEquals("blur/000/a.JPEG", ValidationProxy.portable("blur/s3a://bucket/imagenet/000/a.JPEG"));
    assertEquals("val-id/56922", ValidationProxy.portable("val-id/56922"));
    assertEquals("shuffle/val-id/56922", ValidationProxy.portable("shuffle/val-id/56922"));
    assertEquals("file:/a.png", ValidationProxy.portable("file:/a.png"));
    assertEquals("0/a.png", ValidationProxy.portable("file:/0/a.png"));
  }

  @Test
  void theSplitAndTheProxiesAreTheSameWhereverAFolderDatasetIsStored(@TempDir Path tmp) throws Exception {
    Path near = tmp.resolve("val");
    Path far = tmp.resolve("elsewhere/deeper/copy-of-val");
    for (Path root : List.of(near, far)) {
      for (int c = 0; c < 3; c++) {
        Path dir = Files.createDirectories(root.resolve(String.format("%03d", c)));
        for (int i = 0; i < 40; i++) {
          Files.write(dir.resolve("img-" + i + ".png"), new byte[] {1});
        }
      }
    }
    Configuration conf = new Configuration();
    List<FolderListing.Image> a = FolderListing.list(near.toString(), conf, "val").images();
    List<FolderListing.Image> b = FolderListing.list(far.toString(), conf, "val").images();
    assertEquals(120, a.size());
    int selection = 0;
    for (int i = 0; i < a.size(); i++) {
      assertFalse(a.get(i).id().equals(b.get(i).id()), "the ids name the two locations");
      assertEquals(ValidationSplit.forSelection(a.get(i).id()), ValidationSplit.forSelection(b.get(i).id()));
      assertEquals(ValidationProxy.seed("rotate/" + a.get(i).id()), ValidationProxy.seed("rotate/" + b.get(i).id()));
      selection += ValidationSplit.forSelection(a.get(i).id()) ? 1 : 0;
    }
    assertTrue(selection > 35 && selection < 85, selection + " of 120 in the selection half");
  }

  private static double mean(float[] a) {
    double s = 0;
    for (float v : a) {
      s += v;
    }
    return s / a.length;
  }

  private static double variance(float[] a) {
    double m = mean(a);
    double s = 0;
    for (float v : a) {
      s += (v - m) * (v - m);
    }
    return s / a.length;
  }

  private static double neighbourDiff(float[] a) {
    double s = 0;
    for (int y = 0; y < H; y++) {
      for (int x = 0; x + 1 < W; x++) {
        s += Math.abs(a[y * W + x + 1] - a[y * W + x]);
      }
    }
    return s;
  }
}
