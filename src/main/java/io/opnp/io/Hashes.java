package io.opnp.io;

import io.opnp.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** File identities: a model is named by its file name and SHA-256. */
public final class Hashes {
  private Hashes() {}

  /** The SHA-256 of a string's UTF-8 bytes, in hex. */
  public static String sha256Hex(String text) {
    return HexFormat.of().formatHex(digest().digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** A fresh SHA-256 digest. */
  public static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Copies a stream into {@code dest} (replacing it) and returns the SHA-256 of what was copied. */
  public static String copyHashing(InputStream in, Path dest) throws IOException {
    MessageDigest md = digest();
    try (InputStream din = new java.security.DigestInputStream(in, md)) {
      Files.copy(din, dest, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int r = in.read(buf); r > 0; r = in.read(buf)) {
        md.update(buf, 0, r);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new BadInputException("cannot read model file " + file + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
