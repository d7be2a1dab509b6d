package io.opnp.data;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

import io.opnp.BadInputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import org.apache.spark.sql.execution.datasources.PartitioningAwareFileIndex;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;

/** Reads a {@link DatasetSpec} into {@link ImageSchema#SCHEMA}. */
public final class DatasetReader {
  /** File names the folder reader takes as images (case-insensitive); other files are ignored. */
  public static final String IMAGE_GLOB = "*.{png,PNG,jpg,JPG,jpeg,JPEG,bmp,BMP,gif,GIF}";

  private static final long IDX_TASK_BYTES = 768 * 1024;
  private static final int FOLDER_IMAGES_PER_PARTITION = 4096;

  private DatasetReader() {}

  /**
   * @param limit at most this many images (Integer.MAX_VALUE for all)
   * @param partitions number of partitions for sources read on the driver (IDX), 0 for Spark's default
   */
  public static Dataset<Row> read(SparkSession spark, DatasetSpec spec, int limit, int partitions) {
    Dataset<Row> ds = switch (spec.format()) {
      case IDX -> readIdx(spark, spec, limit, partitions);
      case PARQUET -> readParquet(spark, spec);
      case FOLDER -> readFolder(spark, spec);
    };
    if (limit == Integer.MAX_VALUE || spec.format() == DatasetSpec.Format.IDX) {
      return ds;  // IDX applies the limit while reading, in file order
    }
    // The first images by id, the same ones on every run, spread again over the partitions.
    int parts = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
    return io.opnp.spark.FirstById.first(ds, limit).repartition(parts);
  }

  private static Dataset<Row> readIdx(SparkSession spark, DatasetSpec spec, int limit, int partitions) {
    IdxFiles.Images images = IdxFiles.readImages(spec.path(), limit);
    int[] labels = null;
    if (spec.labelsPath() != null && (spec.labelsExplicit()
        || io.opnp.io.Storage.file(spec.labelsPath(), spark.sparkContext().hadoopConfiguration()) != null)) {
      labels = IdxFiles.readLabels(spec.labelsPath(), limit);
      if (labels.length != images.count()) {
        throw new BadInputException(String.format("dataset %s: %s holds %d images but %s holds %d labels; "
            + "pass matching files as idx:images,labels", spec.name(), spec.path(), images.count(),
            spec.labelsPath(), labels.length));
      }
    }
    List<Row> rows = new ArrayList<>(images.count());
    long bytes = 0;
    for (int i = 0; i < images.count(); i++) {
      byte[] png = Png.encodeGrey(images.pixels()[i], images.rows(), images.cols());
      bytes += png.length;
      rows.add(RowFactory.create(spec.name() + "/" + i, png, labels == null ? null : (long) labels[i], spec.name()));
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    // The rows travel inside the tasks: keep each task near Spark's recommended size (< 1 MiB).
    int slices = partitions > 0 ? partitions
        : (int) Math.max(jsc.defaultParallelism(), Math.min(10_000, (bytes + IDX_TASK_BYTES - 1) / IDX_TASK_BYTES));
    return spark.createDataFrame(jsc.parallelize(rows, Math.max(1, Math.min(slices, rows.size()))), ImageSchema.SCHEMA);
  }

  private static Dataset<Row> readParquet(SparkSession spark, DatasetSpec spec) {
    requireExists(spark, spec);
    Dataset<Row> raw;
    try {
      raw = spark.read().parquet(spec.path());
    } catch (Exception e) {
      String root = rootMessage(e);
      if (BadInputException.hasCorruptInput(e)) {
        throw new BadInputException("dataset " + spec.name() + ": a file under " + spec.path()
            + " is corrupt or truncated (" + root + "); restore it from its source or remove it", e);
      }
      throw new BadInputException("dataset " + spec.name() + ": cannot read Parquet at " + spec.path() + " ("
          + root + "); check that it holds Parquet files", e);
    }
    return normalize(raw, "dataset " + spec.name() + ": Parquet at " + spec.path(), ImageSchema.IMAGE, ImageSchema.ID,
        ImageSchema.LABEL, spec.name());
  }

  /**
   * A user's DataFrame in {@link ImageSchema#SCHEMA}: the encoded image from {@code imageCol}
   * (binary, or struct&lt;bytes, path&gt; as Hugging Face stores images), the id from {@code idCol}
   * when present (else the struct's path, else file and position), an integer label from
   * {@code labelCol} when present.
   *
   * @param where names the input in error messages
   */
  public static Dataset<Row> normalize(Dataset<Row> raw, String where, String imageCol, String idCol, String labelCol,
                                       String datasetName) {
    StructType schema = raw.schema();
    List<String> names = Arrays.asList(schema.fieldNames());
    if (!names.contains(imageCol)) {
      throw new BadInputException(where + " has no column '" + imageCol + "' (columns: " + names + "); it needs the "
          + "encoded image as binary or as struct<bytes, path> (Hugging Face layout)");
    }
    DataType imageType = schema.apply(imageCol).dataType();
    Column bytes;
    Column id;
    Column fallbackId = concat(input_file_name(), lit("#"), monotonically_increasing_id().cast("string"));
    Column givenId = idCol != null && names.contains(idCol) ? col(idCol).cast("string") : null;
    if (raw.isStreaming()) {
      // A stream has no stable row positions; the file and a hash of the image name a row on every replay.
      Column b = imageType instanceof StructType ? col(imageCol + ".bytes") : col(imageCol);
      fallbackId = concat(input_file_name(), lit("#"), org.apache.spark.sql.functions.substring(
          org.apache.spark.sql.functions.sha2(b, 256), 1, 16));
    }
    if (imageType instanceof BinaryType) {
      bytes = col(imageCol);
      id = givenId != null ? coalesce(givenId, fallbackId) : fallbackId;
    } else if (imageType instanceof StructType st && Arrays.asList(st.fieldNames()).contains("bytes")
        && st.apply("bytes").dataType() instanceof BinaryType) {
      bytes = col(imageCol + ".bytes");
      Column path = Arrays.asList(st.fieldNames()).contains("path") ? col(imageCol + ".path") : null;
      id = givenId != null ? coalesce(givenId, fallbackId) : path != null ? coalesce(path, fallbackId) : fallbackId;
    } else {
      throw new BadInputException(where + ": column '" + imageCol + "' has type " + imageType.simpleString()
          + "; it must be binary or struct<bytes: binary, path: string>");
    }
    Column label;
    if (labelCol != null && names.contains(labelCol)) {
      DataType lt = schema.apply(labelCol).dataType();
      if (!(lt instanceof IntegerType || lt instanceof LongType || lt instanceof ShortType || lt instanceof ByteType)) {
        throw new BadInputException(where + ": column '" + labelCol + "' has type " + lt.simpleString()
            + "; it must be an integer class index");
      }
      label = col(labelCol).cast("long");
    } else {
      label = lit(null).cast("long");
    }
    return raw.select(id.as(ImageSchema.ID), bytes.as(ImageSchema.IMAGE), label.as(ImageSchema.LABEL),
        lit(datasetName).as(ImageSchema.DATASET));
  }

  private static Dataset<Row> readFolder(SparkSession spark, DatasetSpec spec) {
    requireExists(spark, spec);
    Map<String, Integer> classes = new HashMap<>();
    String qualifiedRoot;
    try {
      org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(spec.path());
      FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      qualifiedRoot = fs.makeQualified(root).toString();
      FileStatus[] children = fs.listStatus(root);
      List<String> names = new ArrayList<>();
      for (FileStatus s : children) {
        if (s.isDirectory() && !s.getPath().getName().startsWith(".") && !s.getPath().getName().startsWith("_")) {
          names.add(s.getPath().getName());
        }
      }
      names.sort(null);
      for (int i = 0; i < names.size(); i++) {
        classes.put(names.get(i), i);
      }
      if (names.isEmpty()) {
        throw new BadInputException("dataset " + spec.name() + ": folder " + spec.path() + " has no class "
            + "sub-folders; put the images in one sub-folder per class (e.g. " + spec.path() + "/0/a.png)");
      }
    } catch (IOException e) {
      throw new BadInputException("dataset " + spec.name() + ": cannot list " + spec.path() + ": " + e.getMessage(), e);
    }
    Dataset<Row> files = spark.read().format("binaryFile")
        .option("pathGlobFilter", IMAGE_GLOB)
        .option("recursiveFileLookup", "true")
        .load(spec.path());
    // Spark packs small files by an assumed 4 MB open cost, i.e. a few dozen images per partition;
    // merge them into partitions of thousands so that each task runs full batches.
    int target = (int) Math.max(spark.sparkContext().defaultParallelism(),
        Math.ceil(files.inputFiles().length / (double) FOLDER_IMAGES_PER_PARTITION));
    Dataset<Row> contents = files.select("path", "content");
    if (files.rdd().getNumPartitions() > target) {
      contents = contents.coalesce(target);
    }
    List<Row> empty = emptyFiles(files);
    if (!empty.isEmpty()) {
      contents = contents.union(spark.createDataFrame(empty, contents.schema()));
    }
    return contents.map(new FolderRow(spec.name(), qualifiedRoot, classes), Encoders.row(ImageSchema.SCHEMA));
  }

  /**
   * Rows (path, no bytes) for the zero-byte files of a binaryFile source. Spark's file scan drops
   * empty files without a word (PartitioningAwareFileIndex.listFiles keeps only length &gt; 0);
   * returned here they reach the decoder, which calls them unreadable, so that every file is
   * scored, skipped with a reason or named in an error. The lengths come from Spark's own
   * listing, not a second one (a million files on object storage).
   */
  static List<Row> emptyFiles(Dataset<Row> binaryFiles) {
    List<Row> empty = new ArrayList<>();
    LogicalPlan plan = binaryFiles.queryExecution().analyzed();
    if (plan instanceof LogicalRelation rel && rel.relation() instanceof HadoopFsRelation fs
        && fs.location() instanceof PartitioningAwareFileIndex index) {
      for (FileStatus f : JavaConverters.seqAsJavaList(index.allFiles())) {
        if (f.getLen() == 0) {
          empty.add(RowFactory.create(f.getPath().toString(), new byte[0]));
        }
      }
      return empty;
    }
    throw new IllegalStateException("binaryFile source with an unexpected plan; cannot find its empty files:\n" + plan);
  }

  private static String rootMessage(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = String.valueOf(c.getMessage());
    int nl = m.indexOf('\n');
    return nl > 0 ? m.substring(0, nl) : m;
  }

  private static void requireExists(SparkSession spark, DatasetSpec spec) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(spec.path());
      if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
        throw new BadInputException("dataset " + spec.name() + ": " + spec.path() + " does not exist; fix the path");
      }
    } catch (IOException e) {
      throw new BadInputException("dataset " + spec.name() + ": cannot access " + spec.path() + ": " + e.getMessage(), e);
    }
  }

  /** Labels a file by its class folder, the first path segment below the dataset root. */
  static final class FolderRow implements MapFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final String dataset;
    private final String root;
    private final Map<String, Integer> classes;

    FolderRow(String dataset, String root, Map<String, Integer> classes) {
      this.dataset = dataset;
      this.root = root.endsWith("/") ? root : root + "/";
      this.classes = new HashMap<>(classes);
    }

    @Override
    public Row call(Row r) {
      String path = r.getString(0);
      Long label = null;
      if (path.startsWith(root)) {
        String rel = path.substring(root.length());
        int slash = rel.indexOf('/');
        Integer index = slash > 0 ? classes.get(rel.substring(0, slash)) : null;
        label = index == null ? null : index.longValue();
      }
      return RowFactory.create(path, r.get(1), label, dataset);
    }
  }
}
