package io.opnp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.data.IdxFiles;
import io.opnp.data.Png;
import io.opnp.testing.CliRun;
import io.opnp.testing.DamagedImages;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder dataset with the damaged and hostile files of real collections: a JPEG and a PNG cut
 * short, a zero-byte file and a decompression bomb. Each is scored nowhere, and each is counted.
 */
class DamagedImageFilesTest {
  private static final int INTACT = 12;
  /** File name → how its reason in the scores' status column starts. */
  private static final Map<String, String> BAD = Map.of(
      "cut.jpg", "skipped: the image is truncated or its data is corrupt (the JPEG decoder reported: "
          + "Truncated File - Missing EOI marker; Corrupt JPEG data: premature end of data segment)",
      "cut.png", "skipped: the bytes are a corrupt or truncated image (Error reading PNG image data)",
      "empty.JPEG", "skipped: the image is empty (0 bytes)",
      "bomb.png", "skipped: the image header announces 30000 x 30000 = 900,000,000 pixels, more than "
          + "--max-image-pixels 89,478,485 (setMaxImagePixels in the ML API; raise it if the image is genuine)");

  private static SparkSession spark;
  private static String model;
  @TempDir
  static Path shared;
  private static Path sensitivity;

  @TempDir
  Path tmp;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.get();
    model = TestData.demoModel().toString();
    sensitivity = shared.resolve("s");
    CliRun s = CliRun.of("sensitivity", "--master", "local[2]", "--model", model, "--train",
        "fm=idx:" + TestData.fashionTrainImages(), "--limit", "300", "--output", sensitivity.toString());
    assertEquals(0, s.code(), s.err());
  }

  /** Class folder 0 with {@link #INTACT} PNGs and JPEGs of Fashion-MNIST, plus {@code bad} files. */
  private Path folder(String... bad) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("folder/0"));
    IdxFiles.Images im = IdxFiles.readImages(TestData.fashionTestImages(), INTACT);
    for (int i = 0; i < INTACT; i++) {
      byte[] png = Png.encodeGrey(im.pixels()[i], 28, 28);
      if (i % 2 == 0) {
        Files.write(dir.resolve("ok" + i + ".png"), png);
      } else {
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
        Files.write(dir.resolve("ok" + i + ".jpg"), DamagedImages.encode(img, "jpg"));
      }
    }
    for (String name : bad) {
      Files.write(dir.resolve(name), switch (name) {
        case "cut.jpg" -> DamagedImages.cut(DamagedImages.encode(DamagedImages.noise(200, 150, 1), "jpg"), 1, 3);
        case "cut.png" -> DamagedImages.cut(DamagedImages.encode(DamagedImages.noise(200, 150, 2), "png"), 1, 3);
        case "empty.JPEG", "empty-notes.txt" -> new byte[0];
        case "bomb.png" -> DamagedImages.bombPng(30000, 30000);
        default -> throw new IllegalArgumentException(name);
      });
    }
    return tmp.resolve("folder");
  }

  private String[] score(Path folder, Path out, String policy) {
    return new String[] {"score", "--model", model, "--sensitivity", sensitivity.toString(), "--limit", "300",
        "--id-test", "fm=idx:" + TestData.fashionTestImages(), "--ood", "bad=folder:" + folder,
        "--on-bad-image", policy, "--batch-size", "8", "--output", out.toString()};
  }

  @Test
  void underSkipEveryFileIsScoredOrSkippedWithItsReasonInAOneGigabyteHeap() throws Exception {
    Path folder = folder("cut.jpg", "cut.png", "empty.JPEG", "bomb.png", "empty-notes.txt");
    Path out = tmp.resolve("o");
    // Its own JVM with a 1 GB heap: the bomb's raster alone would take 900 MB, its float plane 3.6 GB.
    List<String> cmd = new ArrayList<>(io.opnp.cluster.ClusterTestAccess.javaCommand());
    cmd.addAll(List.of("-Xmx1g", "-Dai.djl.offline=true", "io.opnp.cli.OpnpCli"));
    cmd.addAll(List.of(score(folder, out, "skip")));
    cmd.addAll(List.of("--master", "local[2]"));
    Path log = tmp.resolve("score.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    io.opnp.cluster.ClusterTestAccess.cleanEnvironment(pb.environment());
    pb.environment().put("DJL_CACHE_DIR", io.opnp.cluster.ClusterTestAccess.djlCache());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "score did not finish");
    String text = Files.readString(log);
    assertEquals(0, p.exitValue(), text);
    assertTrue(text.contains("4 unreadable image(s) skipped"), text);

    JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    assertEquals(4, m.get("skipped_images").get("bad").asInt());
    assertEquals(INTACT, m.get("results").get(0).get("ood_count").asInt());
    List<Row> rows = spark.read().parquet(out.resolve("scores").toString()).where("dataset = 'bad'").collectAsList();
    Map<String, String> status = new TreeMap<>();
    for (Row r : rows) {
      String id = r.getAs("id");
      status.put(id.substring(id.lastIndexOf('/') + 1), r.getAs("status"));
    }
    // Every image file has a row (the .txt is no image name and is ignored, as documented).
    assertEquals(INTACT + 4, status.size(), status.toString());
    for (Map.Entry<String, String> e : status.entrySet()) {
      String expected = BAD.get(e.getKey());
      if (expected == null) {
        assertEquals(null, e.getValue(), e.getKey() + " is intact and must be scored");
      } else {
        assertEquals(expected, e.getValue(), e.getKey());
      }
    }
  }

  @Test
  void underFailEachKindOfDamagedFileStopsTheJobNamingIt() throws Exception {
    for (String bad : new String[] {"cut.jpg", "cut.png", "empty.JPEG", "bomb.png"}) {
      Path folder = folder(bad);
      Path out = tmp.resolve("o-" + bad);
      List<String> args = new ArrayList<>(List.of(score(folder, out, "fail")));
      args.addAll(List.of("--master", "local[2]"));
      CliRun r = CliRun.of(args.toArray(String[]::new));
      r.assertBadInput("dataset bad, image " + folder.resolve("0").resolve(bad).toUri().toString().replace("file:///", "file:/"));
      r.assertBadInput(BAD.get(bad).substring("skipped: ".length()));
      assertFalse(Files.exists(out.resolve("metrics.json")), bad);
      deleteTree(tmp.resolve("folder"));
    }
  }

  private static void deleteTree(Path dir) throws Exception {
    try (var files = Files.walk(dir)) {
      for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
