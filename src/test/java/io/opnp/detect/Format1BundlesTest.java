package io.opnp.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.BadInputException;
import io.opnp.math.LinearHead;
import io.opnp.methods.OodMethod;
import io.opnp.testing.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bundles users already have: format 1, written by the last version that wrote it (the fixtures in
 * {@code src/test/resources/bundles/format-1}, one per kind of fitted state, with the scores that version computed).
 * Today's code loads them, scores as that version did, and saves them again as format 2, which scores bit for bit
 * like the format-1 load.
 */
class Format1BundlesTest {
  /** The fixtures may be read on another CPU than the one that wrote them: scores equal to 1e-9, relative. */
  private static final double TOLERANCE = 1e-9;

  @TempDir
  Path tmp;

  /** The fixture set: its bundles, head, test features and expected scores. */
  record Fixture(Path root, LinearHead head, double[] test, JsonNode expected) {
    static Fixture read() throws IOException {
      Path root;
      try {
        root = Path.of(Format1BundlesTest.class.getResource("/bundles/format-1/inputs.json").toURI()).getParent();
      } catch (java.net.URISyntaxException e) {
        throw new IllegalStateException(e);
      }
      JsonNode in = new ObjectMapper().readTree(root.resolve("inputs.json").toFile());
      LinearHead head = new LinearHead(in.get("classes").asInt(), in.get("dim").asInt(), doubles(in.get("weights")),
          doubles(in.get("bias")));
      return new Fixture(root, head, doubles(in.get("test_features")), in.get("expected_scores"));
    }

    List<String> names() throws IOException {
      List<String> out = new ArrayList<>();
      try (Stream<Path> s = Files.list(root)) {
        s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(out::add);
      }
      return out;
    }

    /** A writable copy of one bundle (tests that damage it must not touch the fixture). */
    Path copy(String name, Path to) throws IOException {
      Path from = root.resolve(name);
      try (Stream<Path> s = Files.walk(from)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          Path q = to.resolve(from.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(q);
          } else {
            Files.copy(p, q);
          }
        }
      }
      return to;
    }

    double[] scores(Detector d) {
      OodMethod m = d.scorer(head);
      double[] out = new double[test.length / head.dim()];
      m.score(test, out.length, out);
      return out;
    }

    void assertScoresAsSaved(String name, Detector d) {
      double[] want = doubles(expected.get(name));
      double[] got = scores(d);
      assertEquals(want.length, got.length, name);
      for (int i = 0; i < want.length; i++) {
        assertEquals(want[i], got[i], TOLERANCE * Math.max(1, Math.abs(want[i])), name + " row " + i);
      }
    }
  }

  @Test
  void everyFormat1BundleLoadsAndScoresAsTheVersionThatWroteIt() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Fixture f = Fixture.read();
    List<String> names = f.names();
    assertEquals(11, names.size(), names.toString());
    for (String name : names) {
      JsonNode json = new ObjectMapper().readTree(f.root().resolve(name).resolve(DetectorBundle.FILE).toFile());
      assertEquals(1, json.get("format").asInt());
      Detector d = DetectorBundle.load(spark, f.root().resolve(name).toString());
      assertEquals(json.get("label").asText(), d.spec().label(), name);
      assertEquals(json.get("threshold").get("threshold").asDouble(), d.threshold(), name);
      assertEquals(json.get("model").get("sha256").asText(), d.model().sha256(), name);
      assertEquals(json.get("calibration_scores").size(), d.rule().pValues().size(), name);
      f.assertScoresAsSaved(name, d);
    }
  }

  @Test
  void aFormat1BundleSavedAgainIsFormat2AndScoresBitForBitAlike() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Fixture f = Fixture.read();
    for (String name : f.names()) {
      Detector old = DetectorBundle.load(spark, f.root().resolve(name).toString());
      String dir = tmp.resolve(name).toString();
      DetectorBundle.save(spark, dir, old);
      JsonNode json = new ObjectMapper().readTree(Path.of(dir, DetectorBundle.FILE).toFile());
      assertEquals(2, json.get("format").asInt(), name);
      for (String need : iterable(json.get("state").fieldNames())) {
        assertTrue(old.spec().method().needs().stream().anyMatch(n -> n.key().equals(need)), name + ": " + need);
      }
      Detector d = DetectorBundle.load(spark, dir);
      assertEquals(old.spec(), d.spec(), name);
      assertEquals(old.rule().threshold(), d.rule().threshold(), name);
      assertEquals(old.rule().expectedInterval(), d.rule().expectedInterval(), name);
      assertArrayEquals(old.rule().pValues().sortedScores(), d.rule().pValues().sortedScores(), name);
      assertEquals(old.model(), d.model(), name);
      assertEquals(old.preprocess().height(), d.preprocess().height(), name);
      assertEquals(old.provenance(), d.provenance(), name);
      assertArrayEquals(f.scores(old), f.scores(d), name);
      assertNotNull(d.state(), name);
    }
  }

  @Test
  void aBundleOfAFormatThisVersionDoesNotKnowIsRefusedNamingTheFormats() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Fixture f = Fixture.read();
    Path dir = f.copy("energy", tmp.resolve("future"));
    Path file = dir.resolve(DetectorBundle.FILE);
    Files.writeString(file, Files.readString(file).replace("\"format\" : 1", "\"format\" : 4"));
    BadInputException e = assertThrows(BadInputException.class, () -> DetectorBundle.load(spark, dir.toString()));
    assertTrue(e.getMessage().contains("has format 4; this version reads formats 1 to 3"), e.getMessage());
  }

  private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
    return () -> it;
  }

  static double[] doubles(JsonNode a) {
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asDouble();
    }
    return out;
  }
}
