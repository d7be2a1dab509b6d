package io.opnp.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Colours as PIL, torchvision and OpenCV read JPEGs: they decode YCbCr to RGB and ignore an embedded ICC profile,
 * where Java's readers convert the pixels from the profile's colour space to sRGB. A model trained on PIL's pixels
 * sees other colours that way (on ImageNet photographs with an Adobe RGB profile, features off by up to 25 %), so
 * the ICC segments of greyscale and colour JPEGs are dropped before decoding. CMYK JPEGs keep theirs: PIL has no
 * CMYK-to-RGB of its own to match, and without a profile the reader's conversion would be worse.
 */
final class JpegIcc {
  private static final byte[] ICC = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);

  private JpegIcc() {}

  /** {@code bytes} without APP2 ICC_PROFILE segments when it is a 1- or 3-component JPEG; else {@code bytes}. */
  static byte[] withoutProfile(byte[] bytes) {
    if (bytes.length < 4 || (bytes[0] & 0xff) != 0xFF || (bytes[1] & 0xff) != 0xD8) {
      return bytes;
    }
    List<int[]> drop = new ArrayList<>();
    int components = -1;
    int i = 2;
    while (i + 4 <= bytes.length && (bytes[i] & 0xff) == 0xFF) {
      int marker = bytes[i + 1] & 0xff;
      if (marker == 0xFF) {  // fill byte
        i++;
        continue;
      }
      if (marker == 0xDA || marker == 0xD9) {  // start of scan, end of image: the headers are over
        break;
      }
      int length = ((bytes[i + 2] & 0xff) << 8) | (bytes[i + 3] & 0xff);
      if (length < 2 || i + 2 + length > bytes.length) {
        return bytes;  // damaged headers: leave them to the reader, which names the damage
      }
      if (marker == 0xE2 && length >= 2 + ICC.length && startsWith(bytes, i + 4, ICC)) {
        drop.add(new int[] {i, 2 + length});
      } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
          && length >= 8) {
        components = bytes[i + 9] & 0xff;  // SOFn: precision, height, width, then the component count
      }
      i += 2 + length;
    }
    if (drop.isEmpty() || (components != 1 && components != 3)) {
      return bytes;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length);
    int from = 0;
    for (int[] d : drop) {
      out.write(bytes, from, d[0] - from);
      from = d[0] + d[1];
    }
    out.write(bytes, from, bytes.length - from);
    return out.toByteArray();
  }

  private static boolean startsWith(byte[] bytes, int at, byte[] prefix) {
    if (at + prefix.length > bytes.length) {
      return false;
    }
    for (int k = 0; k < prefix.length; k++) {
      if (bytes[at + k] != prefix[k]) {
        return false;
      }
    }
    return true;
  }
}
