package io.opnp.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.opnp.BadInputException;
import org.junit.jupiter.api.Test;

class DatasetSpecTest {
  @Test
  void idxFindsTheLabelsFileBesideTheImages() {
    DatasetSpec s = DatasetSpec.parse("fm=idx:/d/t10k-images-idx3-ubyte.gz");
    assertEquals("fm", s.name());
    assertEquals(DatasetSpec.Format.IDX, s.format());
    assertEquals("/d/t10k-images-idx3-ubyte.gz", s.path());
    assertEquals("/d/t10k-labels-idx1-ubyte.gz", s.labelsPath());
    assertEquals("/l", DatasetSpec.parse("fm=idx:/i,/l").labelsPath());
  }

  @Test
  void parquetAndFolderKeepUrisWhole() {
    DatasetSpec p = DatasetSpec.parse("imagenet=parquet:s3a://bucket/train");
    assertEquals("s3a://bucket/train", p.path());
    assertNull(p.labelsPath());
    assertEquals(DatasetSpec.Format.FOLDER, DatasetSpec.parse("x=FOLDER:/a,b").format());
    assertEquals("/a,b", DatasetSpec.parse("x=folder:/a,b").path());
  }

  @Test
  void badSpecsSayHowToWriteThem() {
    BadInputException e = assertThrows(BadInputException.class, () -> DatasetSpec.parse("/data/train"));
    assertEquals("cannot parse dataset '/data/train'; write it as name=format:path with format idx, parquet, folder or indexed-folder, "
        + "e.g. fashion-mnist=idx:/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", e.getMessage());
    assertEquals("dataset 'x=csv:/a' has unknown format 'csv'; write it as name=format:path with format idx, parquet, "
        + "folder or indexed-folder, e.g. fashion-mnist=idx:/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
        assertThrows(BadInputException.class, () -> DatasetSpec.parse("x=csv:/a")).getMessage());
    assertEquals("dataset name 'a b' must be letters, digits, '_', '.' or '-'",
        assertThrows(BadInputException.class, () -> DatasetSpec.parse("a b=idx:/x")).getMessage());
  }
}
