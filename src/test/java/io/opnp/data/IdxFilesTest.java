package io.opnp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.BadInputException;
import io.opnp.testing.TestData;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFilesTest {
  @TempDir
  Path tmp;

  @Test
  void readsRealFashionMnistGzippedAndPlain() throws Exception {
    Path gz = TestData.fashionTestImages();
    IdxFiles.Images images = IdxFiles.readImages(gz, 100);
    assertEquals(100, images.count());
    assertEquals(28, images.rows());
    assertEquals(28, images.cols());
    int[] labels = IdxFiles.readLabels(TestData.fashionMnist().resolve("t10k-labels-idx1-ubyte.gz"), 5);
    assertArrayEquals(new int[] {9, 2, 1, 1, 6}, labels);  // ankle boot, pullover, trouser, trouser, shirt

    Path plain = tmp.resolve("t10k-images-idx3-ubyte");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      Files.copy(in, plain);
    }
    IdxFiles.Images same = IdxFiles.readImages(plain, 100);
    for (int i = 0; i < 100; i++) {
      assertArrayEquals(images.pixels()[i], same.pixels()[i]);
    }
  }

  @Test
  void truncatedFileNamesTheFileAndTheFix() throws Exception {
    Path full = tmp.resolve("full");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(TestData.fashionTestImages()))) {
      Files.copy(in, full);
    }
    Path cut = tmp.resolve("cut-images-idx3-ubyte");
    Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(full), 16 + 784 * 3 + 100));
    BadInputException e = assertThrows(BadInputException.class, () -> IdxFiles.readImages(cut, Integer.MAX_VALUE));
    assertEquals("IDX file " + cut + " is truncated: it ends before the images its header announces; "
        + "download or copy it again", e.getMessage());
    assertEquals(3, IdxFiles.readImages(cut, 3).count());  // what is there can still be read
  }

  @Test
  void labelsFileGivenAsImagesIsRejected() {
    Path labels = TestData.fashionMnist().resolve("t10k-labels-idx1-ubyte.gz");
    BadInputException e = assertThrows(BadInputException.class, () -> IdxFiles.readImages(labels, 10));
    assertEquals(labels + " is not an IDX file of unsigned bytes with 3 dimension(s) (magic number 0x00000801); "
        + "pass the images (idx3) file", e.getMessage());
  }

  @Test
  void missingFileSaysWhereToGetIt() {
    Path missing = tmp.resolve("nope-images-idx3-ubyte.gz");
    BadInputException e = assertThrows(BadInputException.class, () -> IdxFiles.readImages(missing, 10));
    assertTrue(e.getMessage().startsWith("IDX file " + missing + " does not exist; for Fashion-MNIST install Debian's "
        + "dataset-fashion-mnist package"), e.getMessage());
  }
}
