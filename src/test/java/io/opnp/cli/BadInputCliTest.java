package io.opnp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.data.Png;
import io.opnp.testing.CliRun;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/** Each bad input gives exit code 2, a message naming the input and the fix, and no output. */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class BadInputCliTest {
  private static SparkSession spark;
  private static String model;
  private static String train;

  @TempDir
  Path tmp;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.get();
    model = TestData.demoModel().toString();
    train = "fm=idx:" + TestData.fashionTrainImages();
  }

  private static CliRun cli(String... args) {
    return CliRun.of(args);
  }


  private CliRun sensitivity(String modelPath, String trainSpec, Path out) {
    return cli("sensitivity", "--master", "local[2]", "--model", modelPath, "--train", trainSpec, "--limit", "300",
        "--batch-size", "64", "--output", out.toString());
  }

  private static void assertBadInput(CliRun r, String fragment) {
    r.assertBadInput(fragment);
  }


  @Test
  void missingModelFile() {
    Path out = tmp.resolve("s");
    CliRun r = sensitivity(tmp.resolve("none.pt").toString(), train, out);
    assertBadInput(r, "model file " + tmp.resolve("none.pt") + " does not exist; pass a TorchScript .pt or an ONNX .onnx file (a local path or a Hadoop URI) with --model");
    assertFalse(Files.exists(out));
  }

  @Test
  void missingTrainingFile() {
    Path out = tmp.resolve("s");
    CliRun r = sensitivity(model, "fm=idx:" + tmp.resolve("x-images-idx3-ubyte.gz"), out);
    assertBadInput(r, "IDX file " + tmp.resolve("x-images-idx3-ubyte.gz") + " does not exist");
    assertFalse(Files.exists(out));
  }

  @Test
  void modelFileThatIsNotTorchScript() {
    CliRun r = sensitivity(TestData.testModel("not-torchscript.pt").toString(), train, tmp.resolve("s"));
    assertBadInput(r, "not-torchscript.pt is neither a TorchScript archive (a zip file) nor an ONNX model");
    assertBadInput(r, "export it with torch.jit.trace(...).save(path) or torch.onnx.export");
  }

  @Test
  void modelThatReturnsOnlyLogits() {
    CliRun r = sensitivity(TestData.testModel("logits-only.pt").toString(), train, tmp.resolve("s"));
    assertBadInput(r, "model logits-only.pt returned 1 output(s)");
  }

  @Test
  void modelWhoseLogitsAreNotItsHeadAppliedToItsFeatures() {
    CliRun r = sensitivity(TestData.testModel("wrong-logits.pt").toString(), train, tmp.resolve("s"));
    assertBadInput(r, "model wrong-logits.pt breaks the contract logits = fc.weight · features + fc.bias");
  }

  @Test
  void unreadableImageInAFolderNamesTheFile() throws Exception {
    Path cls = Files.createDirectories(tmp.resolve("folder/3"));
    for (int i = 0; i < 5; i++) {
      Files.write(cls.resolve("ok" + i + ".png"), Png.encodeGrey(new byte[784], 28, 28));
    }
    Files.write(cls.resolve("broken.png"), "not a png at all".getBytes());
    Path out = tmp.resolve("s");
    CliRun r = sensitivity(model, "bad=folder:" + tmp.resolve("folder"), out);
    assertBadInput(r, "dataset bad, image file:" + cls.resolve("broken.png")
        + ": the bytes are not in an image format read here");
    assertBadInput(r, "remove or replace that image");
    assertFalse(Files.exists(out));
  }

  @Test
  void labelOutOfRange() {
    Path pq = tmp.resolve("labels");
    StructType schema = new StructType().add("image", DataTypes.BinaryType).add("label", DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      rows.add(RowFactory.create(Png.encodeGrey(new byte[784], 28, 28), i == 7 ? 12 : i % 10));
    }
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(pq.toString());
    Path out = tmp.resolve("s");
    CliRun r = sensitivity(model, "lab=parquet:" + pq, out);
    assertBadInput(r, "label 12 is outside the model's 10 classes [0, 10)");
    assertFalse(Files.exists(out));
  }

  @Test
  void parquetWithoutAnImageColumn() {
    Path pq = tmp.resolve("noimage");
    StructType schema = new StructType().add("img", DataTypes.BinaryType).add("label", DataTypes.IntegerType);
    spark.createDataFrame(List.of(RowFactory.create(new byte[] {1}, 1)), schema).write().parquet(pq.toString());
    CliRun r = sensitivity(model, "x=parquet:" + pq, tmp.resolve("s"));
    assertBadInput(r, "dataset x: Parquet at " + pq + " has no column 'image' (columns: [img, label])");
  }

  @Test
  void missingParquetDirectoryAndNonIntegerLabels() {
    CliRun missing = sensitivity(model, "gone=parquet:" + tmp.resolve("gone"), tmp.resolve("s"));
    assertBadInput(missing, "dataset gone: " + tmp.resolve("gone") + " does not exist; fix the path");
    Path pq = tmp.resolve("strlabels");
    StructType schema = new StructType().add("image", DataTypes.BinaryType).add("label", DataTypes.StringType);
    spark.createDataFrame(List.of(RowFactory.create(Png.encodeGrey(new byte[784], 28, 28), "shirt")), schema)
        .write().parquet(pq.toString());
    CliRun text = sensitivity(model, "txt=parquet:" + pq, tmp.resolve("s"));
    assertBadInput(text, "column 'label' has type string; it must be an integer class index");
    assertFalse(Files.exists(tmp.resolve("s")));
  }

  @Test
  void percentagesOutOfRangeOrRemovingEverything() {
    String[] base = {"score", "--master", "local[2]", "--model", model, "--sensitivity", tmp.resolve("s").toString(),
        "--id-test", train, "--ood", "o=folder:" + tmp, "--output", tmp.resolve("o").toString()};
    CliRun over = cli(concat(base, "--rho-o-max", "101"));
    assertBadInput(over, "rho-o-max is a percentage and must be in [0, 100], got 101.0; fix the --rho-* options");
    CliRun sum = cli(concat(base, "--rho-w-max", "50", "--rho-w-min", "50"));
    assertBadInput(sum, "rho-w-max + rho-w-min must be below 100 (it would remove every weight), got 50.0 + 50.0");
    assertFalse(Files.exists(tmp.resolve("o")));
  }

  @Test
  void emptyOodSetFailsTheScoreJobAndLeavesNoOutput() throws Exception {
    Path sens = tmp.resolve("s");
    assertEquals(0, sensitivity(model, train, sens).code());
    Path emptyFolder = Files.createDirectories(tmp.resolve("empty/0"));
    Files.writeString(emptyFolder.resolve("README.txt"), "not an image");
    Path out = tmp.resolve("o");
    CliRun r = cli("score", "--master", "local[2]", "--model", model, "--sensitivity", sens.toString(), "--limit", "200",
        "--id-test", "fm=idx:" + TestData.fashionTestImages(), "--ood", "empty=folder:" + tmp.resolve("empty"),
        "--output", out.toString());
    assertBadInput(r, "OOD dataset empty has no images; check its path");
    assertFalse(Files.exists(out.resolve("scores")), "scores left behind");
    assertFalse(Files.exists(out.resolve("metrics.json")), "metrics left behind");
    if (Files.exists(out)) {
      try (var files = Files.list(out)) {
        assertEquals(0, files.count(), "staging left behind in " + out);
      }
    }
  }

  @Test
  void idTestSetWithoutLabelsIsRejectedBeforeScoring() throws Exception {
    Path sens = tmp.resolve("s");
    assertEquals(0, sensitivity(model, train, sens).code());
    Path pq = tmp.resolve("unlabelled");
    StructType schema = new StructType().add("image", DataTypes.BinaryType);
    spark.createDataFrame(List.of(RowFactory.create((Object) Png.encodeGrey(new byte[784], 28, 28))), schema)
        .write().parquet(pq.toString());
    CliRun r = cli("score", "--master", "local[2]", "--model", model, "--sensitivity", sens.toString(),
        "--id-test", "nolab=parquet:" + pq, "--ood", "o=parquet:" + pq, "--output", tmp.resolve("o").toString());
    assertBadInput(r, "has no label; the in-distribution test set needs labels for the accuracy");
    assertFalse(Files.exists(tmp.resolve("o/scores")));
  }

  @Test
  void existingOutputIsNotReplacedWithoutOverwrite() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("exists"));
    Files.writeString(out.resolve("keep.txt"), "mine");
    CliRun r = sensitivity(model, train, out);
    assertBadInput(r, "output " + out + " already exists; pass --overwrite to replace it");
    assertEquals("mine", Files.readString(out.resolve("keep.txt")));
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
