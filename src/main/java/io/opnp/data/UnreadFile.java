package io.opnp.data;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A file of a folder dataset that could not be read on the executor (gone, no permission, an I/O
 * error). It travels in the row's image column as a marker carrying the reason, so that it takes the
 * decoder's path: skipped with that reason under {@code --on-bad-image=skip}, a named bad input
 * otherwise. No image format starts with a zero byte followed by this text.
 */
final class UnreadFile {
  private static final byte[] MAGIC = "\0opnp:unread-file\0".getBytes(StandardCharsets.US_ASCII);

  private UnreadFile() {}

  static byte[] of(String reason) {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] out = Arrays.copyOf(MAGIC, MAGIC.length + r.length);
    System.arraycopy(r, 0, out, MAGIC.length, r.length);
    return out;
  }

  /** The reason a marker carries, or null for real file bytes. */
  static String reason(byte[] bytes) {
    if (bytes == null || bytes.length < MAGIC.length || bytes[0] != 0
        || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      return null;
    }
    return new String(bytes, MAGIC.length, bytes.length - MAGIC.length, StandardCharsets.UTF_8);
  }
}
