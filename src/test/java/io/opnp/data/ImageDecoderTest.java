package io.opnp.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import io.opnp.testing.DamagedImages;
import java.lang.management.ManagementFactory;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
  private final ImageDecoder grey28 = new ImageDecoder(Preprocess.grey(28, 28));

  @Test
  void greyPngRoundTripsExactly() throws Exception {
    byte[] pixels = new byte[784];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 7);
    }
    float[] out = new float[784];
    grey28.decode(Png.encodeGrey(pixels, 28, 28), out, 0);
    for (int i = 0; i < 784; i++) {
      assertEquals((pixels[i] & 0xff) / 255f, out[i], 0f, "pixel " + i);
    }
  }

  @Test
  void sixteenBitGreyUsesItsFullRange() throws Exception {
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_USHORT_GRAY);
    img.getRaster().setSample(3, 2, 0, 65535);
    img.getRaster().setSample(4, 2, 0, 32768);
    float[] out = new float[784];
    grey28.decode(encode(img, "png"), out, 0);
    assertEquals(1f, out[2 * 28 + 3], 0f);
    assertEquals(32768f / 65535f, out[2 * 28 + 4], 1e-7f);
    assertEquals(0f, out[0], 0f);
  }

  @Test
  void colourImagesBecomeLumaForAGreyModelAndPlanesForRgb() throws Exception {
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
    img.setRGB(0, 0, 0xff0000);
    float[] grey = new float[784];
    grey28.decode(encode(img, "png"), grey, 0);
    assertEquals(0.299f, grey[0], 1e-6f);
    float[] rgb = new float[3 * 784];
    new ImageDecoder(new Preprocess(3, 28, 28, null, null)).decode(encode(img, "png"), rgb, 0);
    assertEquals(1f, rgb[0], 0f);
    assertEquals(0f, rgb[784], 0f);
    assertEquals(0f, rgb[2 * 784], 0f);
  }

  @Test
  void otherSizesAreResizedAndNormalized() throws Exception {
    BufferedImage img = new BufferedImage(56, 40, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 40; y++) {
      for (int x = 0; x < 56; x++) {
        img.getRaster().setSample(x, y, 0, 51);  // 0.2 everywhere
      }
    }
    float[] out = new float[784];
    new ImageDecoder(new Preprocess(1, 28, 28, new float[] {0.1f}, new float[] {0.5f})).decode(encode(img, "png"), out, 0);
    for (float v : out) {
      assertEquals((0.2f - 0.1f) / 0.5f, v, 1e-6f);
    }
  }

  @Test
  void jpegDecodes() throws Exception {
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    float[] out = new float[784];
    grey28.decode(encode(img, "jpg"), out, 0);
    assertTrue(Arrays.stream(box(out)).allMatch(v -> v < 0.02f));
  }

  @Test
  void corruptAndTruncatedBytesAreReportedNotSilentlyZeroed() throws Exception {
    float[] out = new float[784];
    ImageDecoder.UnreadableImageException notImage = assertThrows(ImageDecoder.UnreadableImageException.class,
        () -> grey28.decode("hello, world".getBytes(), out, 0));
    assertEquals("the bytes are not in an image format read here (PNG, JPEG, BMP, GIF, WebP, TIFF, PBM/PGM/PPM); first bytes: 68656c6c6f2c2077",
        notImage.getMessage());
    byte[] png = Png.encodeGrey(new byte[784], 28, 28);
    byte[] truncated = Arrays.copyOf(png, png.length / 2);
    ImageDecoder.UnreadableImageException cut = assertThrows(ImageDecoder.UnreadableImageException.class,
        () -> grey28.decode(truncated, out, 0));
    assertTrue(cut.getMessage().startsWith("the bytes are a corrupt or truncated image"), cut.getMessage());
    assertEquals("the image is empty (0 bytes)",
        assertThrows(ImageDecoder.UnreadableImageException.class, () -> grey28.decode(new byte[0], out, 0)).getMessage());
  }

  private static Float[] box(float[] a) {
    Float[] b = new Float[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = a[i];
    }
    return b;
  }

  static byte[] encode(BufferedImage img, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(img, format, out));
    return out.toByteArray();
  }

  private static byte[] fixture(String name) throws Exception {
    try (var in = ImageDecoderTest.class.getResourceAsStream("/images/" + name)) {
      return in.readAllBytes();
    }
  }

  /** Left-half pixel (2,2) of a fixture decoded to RGB planes at its own size (32x24). */
  private static float[] rgbAt(String name) throws Exception {
    float[] out = new float[3 * 24 * 32];
    new ImageDecoder(new Preprocess(3, 24, 32, null, null)).decode(fixture(name), out, 0);
    int i = 2 * 32 + 2;
    return new float[] {out[i], out[768 + i], out[2 * 768 + i]};
  }

  /**
   * A JPEG carrying an ICC profile (here linear RGB, far from sRGB) decodes to the pixels as encoded, as PIL and
   * torchvision read it: the same values as the same JPEG without the profile. Java's reader would convert them.
   */
  @Test
  void anEmbeddedIccProfileIsIgnoredAsPilIgnoresIt() throws Exception {
    BufferedImage img = new BufferedImage(32, 24, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < 24; y++) {
      for (int x = 0; x < 32; x++) {
        img.setRGB(x, y, (8 * x) << 16 | (10 * y) << 8 | 90);
      }
    }
    byte[] plain = encode(img, "jpg");
    byte[] icc = java.awt.color.ICC_Profile.getInstance(java.awt.color.ColorSpace.CS_LINEAR_RGB).getData();
    ByteArrayOutputStream withProfile = new ByteArrayOutputStream();
    withProfile.write(plain, 0, 2);  // SOI, then APP2 "ICC_PROFILE\0", chunk 1 of 1, the profile
    int length = 2 + 12 + 2 + icc.length;
    withProfile.write(new byte[] {(byte) 0xFF, (byte) 0xE2, (byte) (length >> 8), (byte) length});
    withProfile.write("ICC_PROFILE\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    withProfile.write(new byte[] {1, 1});
    withProfile.write(icc);
    withProfile.write(plain, 2, plain.length - 2);
    Preprocess pre = new Preprocess(3, 24, 32, null, null);
    float[] a = new float[3 * 24 * 32];
    float[] b = new float[3 * 24 * 32];
    new ImageDecoder(pre).decode(plain, a, 0);
    new ImageDecoder(pre).decode(withProfile.toByteArray(), b, 0);
    assertTrue(Arrays.equals(a, b), "the profile changed the pixels");
    // The reader itself would have converted them: the profile is really there and really not sRGB.
    BufferedImage converted = ImageIO.read(new java.io.ByteArrayInputStream(withProfile.toByteArray()));
    assertTrue(Math.abs(((converted.getRGB(16, 12) >> 16) & 0xff) - Math.round(a[12 * 32 + 16] * 255)) > 10,
        "Java's reader left the colours alone: the test image needs another profile");
  }

  @Test
  void cmykJpegDecodesToItsRgbColours() throws Exception {
    float[] px = rgbAt("cmyk.jpg");  // written by PIL from RGB (200, 40, 10)
    assertEquals(200 / 255f, px[0], 0.06f);
    assertEquals(40 / 255f, px[1], 0.06f);
    assertEquals(10 / 255f, px[2], 0.06f);
  }

  @Test
  void greyJpegAndSixteenBitPngAndPngBytesUnderAJpegNameDecode() throws Exception {
    float[] grey = rgbAt("grey.jpg");  // PIL's L of (200, 40, 10) = 0.299·200 + 0.587·40 + 0.114·10 ≈ 84
    assertEquals(84 / 255f, grey[0], 0.02f);
    assertEquals(grey[0], grey[2], 0f);
    assertEquals(40000 / 65535f, rgbAt("grey16.png")[1], 1e-6f);
    float[] png = rgbAt("png-inside.JPEG");  // decoded by content, not by name
    assertEquals(200 / 255f, png[0], 0f);
    assertEquals(40 / 255f, png[1], 0f);
  }

  @Test
  void truncatedJpegIsReported() throws Exception {
    float[] out = new float[3 * 24 * 32];
    ImageDecoder.UnreadableImageException e = assertThrows(ImageDecoder.UnreadableImageException.class,
        () -> new ImageDecoder(new Preprocess(3, 24, 32, null, null)).decode(fixture("truncated.jpg"), out, 0));
    assertTrue(e.getMessage().startsWith("the bytes are a corrupt or truncated image"), e.getMessage());
  }

  private static ImageDecoder.UnreadableImageException unreadable(ImageDecoder decoder, byte[] bytes, int pixels) {
    return assertThrows(ImageDecoder.UnreadableImageException.class, () -> decoder.decode(bytes, new float[pixels], 0));
  }

  @Test
  void aJpegCutToItsFirstThirdIsUnreadableInsteadOfHalfGrey() {
    // ImageIO.read returns this image whole, the missing two thirds grey, with only a warning.
    byte[] jpeg = DamagedImages.encode(DamagedImages.noise(200, 150, 1), "jpg");
    ImageDecoder rgb = new ImageDecoder(new Preprocess(3, 150, 200, null, null));
    String reason = unreadable(rgb, DamagedImages.cut(jpeg, 1, 3), 3 * 150 * 200).getMessage();
    assertEquals("the image is truncated or its data is corrupt (the JPEG decoder reported: "
        + "Truncated File - Missing EOI marker; Corrupt JPEG data: premature end of data segment)", reason);
  }

  @Test
  void aJpegMissingOnlyItsEndMarkerIsUnreadable() {
    // JPEG has no length or checksum: without the end marker nothing shows the data is complete.
    byte[] jpeg = DamagedImages.encode(DamagedImages.noise(40, 30, 2), "jpg");
    String reason = unreadable(grey28, java.util.Arrays.copyOf(jpeg, jpeg.length - 2), 784).getMessage();
    assertTrue(reason.contains("Missing EOI marker"), reason);
  }

  @Test
  void everyPrefixOfAJpegIsRefusedAndOfAPngRefusedOrDecodedExactly() throws Exception {
    ImageDecoder rgb = new ImageDecoder(new Preprocess(3, 30, 40, null, null));
    for (String format : new String[] {"jpg", "png"}) {
      byte[] whole = DamagedImages.encode(DamagedImages.noise(40, 30, 3), format);
      float[] expected = new float[3 * 30 * 40];
      rgb.decode(whole, expected, 0);
      int accepted = 0;
      for (int n = 0; n < whole.length; n++) {
        float[] out = new float[expected.length];
        try {
          rgb.decode(Arrays.copyOf(whole, n), out, 0);
        } catch (ImageDecoder.UnreadableImageException e) {
          continue;
        }
        accepted++;
        assertTrue(Arrays.equals(expected, out), format + " cut to " + n + " of " + whole.length + " bytes decoded differently");
        // Only the PNG's trailer may be missing: zlib's Adler-32, the IDAT CRC and the IEND chunk, 20 bytes.
        assertTrue(format.equals("png") && n >= whole.length - 20, format + " cut to " + n + " of " + whole.length + " accepted");
      }
      assertEquals(format.equals("png") ? 20 : 0, accepted, format);
    }
  }

  @Test
  void aPngCutInsideItsImageDataIsUnreadable() {
    byte[] png = DamagedImages.encode(DamagedImages.noise(200, 150, 4), "png");
    String reason = unreadable(grey28, DamagedImages.cut(png, 1, 3), 784).getMessage();
    assertEquals("the bytes are a corrupt or truncated image (Error reading PNG image data)", reason);
  }

  @Test
  void aPngWithoutItsIendChunkStillDecodesExactly() throws Exception {
    // Every row is inflated before IEND: the pixels are complete, as the prefix sweep shows.
    byte[] png = DamagedImages.encode(DamagedImages.noise(40, 30, 5), "png");
    ImageDecoder rgb = new ImageDecoder(new Preprocess(3, 30, 40, null, null));
    float[] whole = new float[3 * 30 * 40];
    float[] noIend = new float[whole.length];
    rgb.decode(png, whole, 0);
    rgb.decode(Arrays.copyOf(png, png.length - 12), noIend, 0);
    assertTrue(Arrays.equals(whole, noIend));
  }

  @Test
  void aDecompressionBombIsRefusedFromItsHeaderWithoutAllocatingItsPixels() {
    byte[] bomb = DamagedImages.bombPng(30000, 30000);
    assertTrue(bomb.length < 1_000_000, bomb.length + " bytes");
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    String reason = unreadable(grey28, bomb, 784).getMessage();
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertEquals("the image header announces 30000 x 30000 = 900,000,000 pixels, more than --max-image-pixels "
        + "89,478,485 (setMaxImagePixels in the ML API; raise it if the image is genuine)", reason);
    // Decoding would allocate a 900 MB raster; the header check costs the reader's buffers only.
    assertTrue(allocated < 16 << 20, "allocated " + allocated + " bytes");
  }

  @Test
  void theImagePixelLimitIsConfigurableAndInclusive() throws Exception {
    byte[] png = DamagedImages.encode(DamagedImages.noise(40, 30, 6), "png");
    float[] out = new float[784];
    new ImageDecoder(Preprocess.grey(28, 28).withMaxImagePixels(1200)).decode(png, out, 0);
    String reason = unreadable(new ImageDecoder(Preprocess.grey(28, 28).withMaxImagePixels(1199)), png, 784).getMessage();
    assertEquals("the image header announces 40 x 30 = 1,200 pixels, more than --max-image-pixels 1,199 "
        + "(setMaxImagePixels in the ML API; raise it if the image is genuine)", reason);
    assertEquals("max-image-pixels must be positive, got 0",
        assertThrows(IllegalArgumentException.class, () -> Preprocess.grey(28, 28).withMaxImagePixels(0)).getMessage());
  }

  @Test
  void resizeShorterThenCentreCropAsImageNetEvaluation() throws Exception {
    // 512x384 RGB, red = x/511 (a horizontal ramp), green 1 in the central 224x224 after resize 256.
    BufferedImage img = new BufferedImage(512, 384, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 384; y++) {
      for (int x = 0; x < 512; x++) {
        img.setRGB(x, y, (Math.round(255f * x / 511) << 16));
      }
    }
    float[] out = new float[3 * 224 * 224];
    new ImageDecoder(new Preprocess(3, 224, 224, null, null, 256)).decode(encode(img, "png"), out, 0);
    // Resized to 341x256; the crop starts at column round((341-224)/2) = 58 of the resized image (torchvision's
    // center_crop: Python's round, half to even), i.e. at source x ≈ (58 + 0.5) · 512/341 − 0.5 ≈ 87.3.
    assertEquals(87.3f / 511, out[0], 0.01f);
    assertEquals((87.3f + 223 * 512f / 341) / 511, out[223], 0.01f);
    assertEquals(out[0], out[100 * 224], 0.002f);  // the ramp is the same on every row
  }

  /**
   * PIL resampling against PIL itself: what torchvision's Resize + CenterCrop make of a noisy pattern on PIL images
   * (shrinking, enlarging, straight to a size), written by src/test/python/reference/make_pil_resize_reference.py with
   * Pillow 9.4. Equal level for level: the same coefficients and fixed-point rounding.
   */
  @Test
  void pilResamplingGivesPilsOwnLevelsWhenShrinkingEnlargingAndResizingStraight() throws Exception {
    byte[] png;
    com.fasterxml.jackson.databind.JsonNode ref;
    try (var in = ImageDecoderTest.class.getResourceAsStream("/images/pattern.png");
         var json = ImageDecoderTest.class.getResourceAsStream("/images/pattern-pil.json")) {
      png = in.readAllBytes();
      ref = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get("cases");
    }
    record Case(String name, int shorter, int height, int width) {}
    for (Case c : List.of(new Case("shorter_40_crop_32", 40, 32, 32), new Case("shorter_37_crop_30x36", 37, 30, 36),
        new Case("shorter_120_crop_40", 120, 40, 40), new Case("straight_20x30", 0, 20, 30),
        new Case("input_size_shorter_140", 140, 83, 131))) {
      Preprocess pre = new Preprocess(3, c.height(), c.width(), null, null, c.shorter())
          .withResampling(Preprocess.Resampling.PIL);
      float[] out = new float[3 * c.height() * c.width()];
      new ImageDecoder(pre).decode(png, out, 0);
      int differ = 0;
      for (int ch = 0; ch < 3; ch++) {
        com.fasterxml.jackson.databind.JsonNode plane = ref.get(c.name()).get(ch);
        assertEquals(c.height() * c.width(), plane.size(), c.name());
        for (int i = 0; i < plane.size(); i++) {
          differ += Math.round(out[ch * plane.size() + i] * 255) != plane.get(i).asInt() ? 1 : 0;
        }
      }
      assertEquals(0, differ, c.name() + ": levels unlike PIL's");
    }
    // Without the filter, shrinking 2.6x aliases the noise: the bilinear default is not PIL's.
    float[] plain = new float[3 * 32 * 32];
    new ImageDecoder(new Preprocess(3, 32, 32, null, null, 40)).decode(png, plain, 0);
    int same = 0;
    for (int i = 0; i < 32 * 32; i++) {
      same += Math.round(plain[i] * 255) == ref.get("shorter_40_crop_32").get(0).get(i).asInt() ? 1 : 0;
    }
    assertTrue(same < 0.5 * 32 * 32, same + " of 1024 levels equal");
  }

  @Test
  void croppedResizeEqualsResizingWholeThenCropping() {
    java.util.Random rnd = new java.util.Random(3);
    for (int[] c : new int[][] {{375, 500, 256, 341}, {500, 375, 341, 256}, {333, 500, 256, 384}, {40, 60, 256, 384}}) {
      float[] src = new float[c[0] * c[1]];
      for (int i = 0; i < src.length; i++) {
        src[i] = rnd.nextFloat();
      }
      float[] whole = new float[c[2] * c[3]];
      Resize.bilinear(src, c[0], c[1], whole, 0, c[2], c[3]);
      int top = (c[2] - 224) / 2;
      int left = (c[3] - 224) / 2;
      float[] crop = new float[5 + 224 * 224];
      Resize.bilinearCrop(src, c[0], c[1], c[2], c[3], top, left, crop, 5, 224, 224);
      for (int y = 0; y < 224; y++) {
        for (int x = 0; x < 224; x++) {
          assertEquals(whole[(top + y) * c[3] + left + x], crop[5 + y * 224 + x], 0f, Arrays.toString(c));
        }
      }
    }
  }

  @Test
  void colourJpegsDecodeToTheValuesOfJavasGetRgb() throws Exception {
    // The fast path reads ImageIO's BGR bytes directly; getRGB is the reference it must equal.
    java.util.Random rnd = new java.util.Random(5);
    BufferedImage src = new BufferedImage(67, 45, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 45; y++) {
      for (int x = 0; x < 67; x++) {
        src.setRGB(x, y, rnd.nextInt(1 << 24));
      }
    }
    byte[] jpeg = encode(src, "jpeg");
    BufferedImage read = ImageIO.read(new java.io.ByteArrayInputStream(jpeg));
    assertEquals(BufferedImage.TYPE_3BYTE_BGR, read.getType());  // so the fast path is what runs
    float[] rgb = new float[3 * 45 * 67];
    float[] grey = new float[45 * 67];
    new ImageDecoder(new Preprocess(3, 45, 67, null, null)).decode(jpeg, rgb, 0);
    new ImageDecoder(Preprocess.grey(45, 67)).decode(jpeg, grey, 0);
    for (int i = 0; i < 45 * 67; i++) {
      int p = read.getRGB(i % 67, i / 67);
      float r = ((p >> 16) & 0xff) / 255f;
      float g = ((p >> 8) & 0xff) / 255f;
      float b = (p & 0xff) / 255f;
      assertEquals(r, rgb[i], 0f);
      assertEquals(g, rgb[45 * 67 + i], 0f);
      assertEquals(b, rgb[2 * 45 * 67 + i], 0f);
      assertEquals(0.299f * r + 0.587f * g + 0.114f * b, grey[i], 0f);
    }
  }

  @Test
  void resizeShorterSmallerThanTheCropIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Preprocess(3, 224, 224, null, null, 200));
    assertEquals("resize-shorter 200 is smaller than the 224x224 crop", e.getMessage());
  }

  @Test
  void webpTiffAndPnmFilesDecodeToThePixelsOfTheSamePng() throws Exception {
    // rgb.png (24 x 16, colour) and its WebPs were made by libwebp: cwebp -lossless -exact and cwebp -q 90.
    ImageDecoder rgb = new ImageDecoder(new Preprocess(3, 16, 24, null, null));
    float[] png = new float[3 * 16 * 24];
    rgb.decode(fixture("rgb.png"), png, 0);
    BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(fixture("rgb.png")));
    java.util.Map<String, byte[]> exact = new java.util.LinkedHashMap<>();
    exact.put("lossless WebP", fixture("rgb-lossless.webp"));
    exact.put("TIFF", encode(img, "tiff"));
    exact.put("PPM", encode(img, "pnm"));
    for (var e : exact.entrySet()) {
      float[] out = new float[png.length];
      rgb.decode(e.getValue(), out, 0);
      assertTrue(Arrays.equals(png, out), e.getKey() + " decodes to other pixels than the PNG");
    }
    float[] lossy = new float[png.length];
    rgb.decode(fixture("rgb-lossy.webp"), lossy, 0);
    double diff = 0;
    for (int i = 0; i < png.length; i++) {
      diff += Math.abs(png[i] - lossy[i]);
    }
    assertTrue(diff / png.length < 0.03, "lossy WebP: mean absolute difference " + diff / png.length);
    assertTrue(diff > 0, "a lossy WebP equal to its PNG: was the lossless file read?");
  }

  @Test
  void aFileThatCouldNotBeReadIsUnreadableWithItsReason() throws Exception {
    ImageDecoder.UnreadableImageException e = assertThrows(ImageDecoder.UnreadableImageException.class,
        () -> grey28.decode(UnreadFile.of("NoSuchFileException: /data/0/gone.png"), new float[784], 0));
    assertEquals("the file could not be read (NoSuchFileException: /data/0/gone.png)", e.getMessage());
    assertEquals(null, UnreadFile.reason(fixture("rgb.png")));
  }
}
