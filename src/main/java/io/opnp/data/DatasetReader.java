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
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Reads a {@link DatasetSpec} into {@link ImageSchema#SCHEMA}. */
public final class DatasetReader {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DatasetReader.class);
  /** File names the folder readers take as images ({@link FolderListing#isImage}); other files are ignored. */
  public static final String IMAGE_GLOB = FolderListing.glob();

  private static final long IDX_TASK_BYTES = 768 * 1024;
  private static final int FOLDER_IMAGES_PER_PARTITION = 4096;

  private DatasetReader() {}

  /**
   * @param limit at most this many images (Integer.MAX_VALUE for all)
   * @param partitions number of partitions for sources read on the driver (IDX), 0 for Spark's default
   */
  public static Dataset<Row> read(SparkSession spark, DatasetSpec spec, int limit, int partitions) {
    return open(spark, spec, limit, partitions).rows();
  }

  /** A dataset's rows and, for a folder, what its listing left out (else null). */
  public record Opened(Dataset<Row> rows, FolderListing.Inventory files) {}

  /** As {@link #read}, with the folder's inventory for summaries. */
  public static Opened open(SparkSession spark, DatasetSpec spec, int limit, int partitions) {
    if (spec.format().isFolder()) {
      requireExists(spark, spec);
      FolderListing listing = FolderListing.list(spec.path(), spark.sparkContext().hadoopConfiguration(),
          "dataset " + spec.name(), spec.format() == DatasetSpec.Format.INDEXED_FOLDER);
      LOG.info("dataset {}: folder {}: {}", spec.name(), spec.path(), listing.inventory().describe());
      return new Opened(readImages(spark, spec.name(), listing.first(limit).images()), listing.inventory());
    }
    if (spec.format() == DatasetSpec.Format.IDX) {
      return new Opened(readIdx(spark, spec, limit, partitions), null);  // the limit applied in file order
    }
    Dataset<Row> ds = readParquet(spark, spec);
    if (limit == Integer.MAX_VALUE) {
      return new Opened(ds, null);
    }
    // The first images by id, the same ones on every run, spread again over the partitions.
    int parts = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
    return new Opened(io.opnp.spark.FirstById.first(ds, limit).repartition(parts), null);
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
      if (io.opnp.spark.ReadFailures.hasCorruptFile(e)) {
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
    return normalize(raw, where, imageCol, idCol, labelCol, datasetName, raw.isStreaming());
  }

  /**
   * As above; with {@code contentIds}, a row without an id is named by its file and a hash of its
   * image rather than its position, the same on every replay of a stream's micro-batch.
   */
  public static Dataset<Row> normalize(Dataset<Row> raw, String where, String imageCol, String idCol, String labelCol,
                                       String datasetName, boolean contentIds) {
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
    if (contentIds) {
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

  /**
   * Image files named by their paths (the monitor's arrivals), read on the executors as a folder
   * dataset's are; each row's id is the file's URI and its label null.
   */
  public static Dataset<Row> files(SparkSession spark, List<String> paths, String dataset) {
    List<FolderListing.Image> images = new ArrayList<>(paths.size());
    for (String p : paths) {
      String uri = new org.apache.hadoop.fs.Path(p).toUri().toString();
      images.add(new FolderListing.Image(p, uri, null));
    }
    return readImages(spark, dataset, images);
  }

  /**
   * Listed images (a folder's first by id under a limit: taken on the listing, no bytes read for the
   * rest), their bytes read on the executors in partitions of thousands, so that each task runs full
   * batches.
   */
  private static Dataset<Row> readImages(SparkSession spark, String dataset, List<FolderListing.Image> images) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slices = (int) Math.max(jsc.defaultParallelism(),
        Math.ceil(images.size() / (double) FOLDER_IMAGES_PER_PARTITION));
    Broadcast<SerializableConfiguration> conf = jsc.broadcast(
        new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
    return spark.createDataFrame(jsc.parallelize(images, Math.max(1, Math.min(slices, images.size())))
        .map(new ReadFile(dataset, conf)), ImageSchema.SCHEMA);
  }

  /** One image file's row, its bytes read here; a file that cannot be read carries its reason ({@link UnreadFile}). */
  static final class ReadFile implements Function<FolderListing.Image, Row> {
    private static final long serialVersionUID = 1L;
    private final String dataset;
    private final Broadcast<SerializableConfiguration> conf;

    ReadFile(String dataset, Broadcast<SerializableConfiguration> conf) {
      this.dataset = dataset;
      this.conf = conf;
    }

    @Override
    public Row call(FolderListing.Image image) {
      byte[] bytes;
      try {
        bytes = read(java.net.URI.create(image.uri()), conf.value().value());
      } catch (IOException | RuntimeException e) {
        bytes = UnreadFile.of(e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      return RowFactory.create(image.id(), bytes, image.label(), dataset);
    }

    /** Local files through java.nio, which opens any name (Hadoop's local checksum file system cannot open a ':'). */
    static byte[] read(java.net.URI uri, org.apache.hadoop.conf.Configuration conf) throws IOException {
      if ("file".equals(uri.getScheme())) {
        return java.nio.file.Files.readAllBytes(java.nio.file.Path.of(uri));
      }
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
      try (java.io.InputStream in = p.getFileSystem(conf).open(p)) {
        return in.readAllBytes();
      }
    }
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
}
