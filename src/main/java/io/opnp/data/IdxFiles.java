package io.opnp.data;

import io.opnp.BadInputException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reader for the IDX format of MNIST and Fashion-MNIST (plain or gzipped): a big-endian header
 * {@code 0x0000, type, ndim, dims[ndim]} followed by unsigned bytes.
 */
public final class IdxFiles {
  private static final int UBYTE = 0x08;

  private IdxFiles() {}

  /** Images of an idx3 file as {@code [n][rows*cols]} unsigned bytes, at most {@code limit} of them. */
  public static Images readImages(Path path, int limit) {
    return readImages(path.toString(), limit);
  }

  /** As above, from a local path or a Hadoop URI (hdfs://, s3a://, ...). */
  public static Images readImages(String path, int limit) {
    try (DataInputStream in = open(path)) {
      int[] dims = header(in, path, 3);
      int n = Math.min(dims[0], limit);
      int size = dims[1] * dims[2];
      byte[][] images = new byte[n][size];
      for (int i = 0; i < n; i++) {
        in.readFully(images[i]);
      }
      return new Images(images, dims[1], dims[2]);
    } catch (EOFException e) {
      throw new BadInputException("IDX file " + path + " is truncated: it ends before the images its header "
          + "announces; download or copy it again", e);
    } catch (IOException e) {
      throw new BadInputException("cannot read IDX file " + path + ": " + e.getMessage(), e);
    }
  }

  /** Labels of an idx1 file, at most {@code limit} of them. */
  public static int[] readLabels(Path path, int limit) {
    return readLabels(path.toString(), limit);
  }

  /** As above, from a local path or a Hadoop URI. */
  public static int[] readLabels(String path, int limit) {
    try (DataInputStream in = open(path)) {
      int[] dims = header(in, path, 1);
      int n = Math.min(dims[0], limit);
      int[] labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = in.readUnsignedByte();
      }
      return labels;
    } catch (EOFException e) {
      throw new BadInputException("IDX file " + path + " is truncated: it ends before the labels its header "
          + "announces; download or copy it again", e);
    } catch (IOException e) {
      throw new BadInputException("cannot read IDX file " + path + ": " + e.getMessage(), e);
    }
  }

  private static DataInputStream open(String path) throws IOException {
    var conf = io.opnp.io.Storage.conf();
    if (io.opnp.io.Storage.file(path, conf) == null) {
      throw new BadInputException("IDX file " + path + " does not exist; for Fashion-MNIST install Debian's "
          + "dataset-fashion-mnist package (files under /usr/share/datasets/fashion-mnist) or fix the path");
    }
    InputStream raw = new BufferedInputStream(io.opnp.io.Storage.open(path, conf), 1 << 16);
    raw.mark(2);
    int b0 = raw.read();
    int b1 = raw.read();
    raw.reset();
    // Gzip by content, not by name: ".gz" files are sometimes already unpacked by tools.
    InputStream in = (b0 == 0x1f && b1 == 0x8b) ? new GZIPInputStream(raw, 1 << 16) : raw;
    return new DataInputStream(new BufferedInputStream(in, 1 << 16));
  }

  private static int[] header(DataInputStream in, String path, int expectedDims) throws IOException {
    int magic = in.readInt();
    int type = (magic >> 8) & 0xff;
    int ndim = magic & 0xff;
    if ((magic >>> 16) != 0 || type != UBYTE || ndim != expectedDims) {
      throw new BadInputException(String.format(
          "%s is not an IDX file of unsigned bytes with %d dimension(s) (magic number 0x%08x); "
              + "pass the %s file", path, expectedDims, magic, expectedDims == 3 ? "images (idx3)" : "labels (idx1)"));
    }
    int[] dims = new int[ndim];
    for (int i = 0; i < ndim; i++) {
      dims[i] = in.readInt();
    }
    return dims;
  }

  /** Images as rows of unsigned bytes. */
  public record Images(byte[][] pixels, int rows, int cols) {
    public int count() {
      return pixels.length;
    }
  }
}
