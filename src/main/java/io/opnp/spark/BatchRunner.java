package io.opnp.spark;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import io.opnp.BadInputException;
import io.opnp.data.ImageDecoder;
import io.opnp.model.ImageBatch;
import io.opnp.model.ModelOutput;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one partition's rows through the model in batches: decode into a reused float buffer,
 * predict, hand back features and logits with the rows' ids and labels. One per task; the
 * predictor is closed with the runner (the model itself stays cached in the JVM).
 */
public final class BatchRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);
  private static final long LOG_EVERY_NANOS = 15_000_000_000L;

  private final InferenceConfig cfg;
  private final Predictor<ImageBatch, ModelOutput> predictor;
  private final ImageDecoder decoder;
  private final float[] buffer;
  private final long start = System.nanoTime();
  private long decodeNanos;
  private long modelNanos;
  private long images;
  private long lastLog = start;

  /** A batch's rows and what the model returned for them. */
  public record Batch(Row[] rows, String[] ids, Long[] labels, String[] datasets, ModelOutput output,
                      List<Skipped> skipped) {
    /** Images the model ran on (0 when every image of the batch was skipped). */
    public int count() {
      return output == null ? 0 : output.n();
    }
  }

  /** An image left out under {@code --on-bad-image=skip}, with the reason. */
  public record Skipped(Row row, String dataset, String id, String reason) {}

  private final RowLayout layout;
  private long position;

  public BatchRunner(InferenceConfig cfg) {
    this(cfg, RowLayout.STANDARD);
  }

  public BatchRunner(InferenceConfig cfg, RowLayout layout) {
    this.cfg = cfg;
    this.layout = layout;
    this.predictor = ExecutorModels.model(cfg).newPredictor();
    this.decoder = new ImageDecoder(cfg.preprocess());
    this.buffer = new float[cfg.batchSize() * cfg.preprocess().pixels()];
  }

  /** The next batch from {@code rows}, or null when they are exhausted. */
  public Batch next(Iterator<Row> rows) {
    int cap = cfg.batchSize();
    Row[] batchRows = new Row[cap];
    List<Skipped> skipped = new ArrayList<>();
    String[] ids = new String[cap];
    Long[] labels = new Long[cap];
    String[] datasets = new String[cap];
    int n = 0;
    int pixels = cfg.preprocess().pixels();
    long t0 = System.nanoTime();
    while (n < cap && rows.hasNext()) {
      Row r = rows.next();
      batchRows[n] = r;
      ids[n] = layout.id(r, position++);
      labels[n] = layout.label(r);
      datasets[n] = layout.dataset(r);
      byte[] bytes = layout.image(r);
      try {
        decoder.decode(bytes, buffer, n * pixels);
      } catch (ImageDecoder.UnreadableImageException e) {
        if (cfg.skipBadImages()) {
          skipped.add(new Skipped(r, datasets[n], ids[n], e.getMessage()));
          continue;
        }
        throw new BadInputException("dataset " + datasets[n] + ", image " + ids[n] + ": " + e.getMessage()
            + "; remove or replace that image, or pass --on-bad-image=skip to leave such images out", e);
      }
      n++;
    }
    if (n == 0) {
      return skipped.isEmpty() ? null : new Batch(batchRows, ids, labels, datasets, null, skipped);
    }
    long t1 = System.nanoTime();
    // Always a full batch (zero padding): a sample's outputs then never depend on how many images
    // share its batch, so results do not change with the number of partitions.
    java.util.Arrays.fill(buffer, n * pixels, cap * pixels, 0f);
    ModelOutput full;
    try {
      full = predictor.predict(new ImageBatch(buffer, cap, cfg.preprocess().channels(), cfg.preprocess().height(),
          cfg.preprocess().width()));
    } catch (TranslateException e) {
      BadInputException bad = BadInputException.find(e);
      if (bad != null) {
        throw bad;
      }
      throw new IllegalStateException("model " + cfg.modelName() + " failed on a batch of " + n + " images of "
          + "dataset " + datasets[0] + " starting at " + ids[0] + ": " + e.getMessage(), e);
    }
    ModelOutput out = new ModelOutput(full.features(), full.logits(), n, full.dim(), full.classes());
    long t2 = System.nanoTime();
    decodeNanos += t1 - t0;
    modelNanos += t2 - t1;
    images += n;
    if (t2 - lastLog > LOG_EVERY_NANOS) {
      lastLog = t2;
      LOG.info("{}: {} images, {}", where(), images, rate());
    }
    String bad = out.firstNonFinite();
    if (bad != null) {
      int k = Integer.parseInt(bad.substring(bad.indexOf('[') + 1, bad.indexOf(']')));
      throw new BadInputException("model " + cfg.modelName() + " returned a non-finite value " + bad
          + " for dataset " + datasets[k] + ", image " + ids[k] + "; check that image and the model");
    }
    return new Batch(batchRows, ids, labels, datasets, out, skipped);
  }

  private String rate() {
    double secs = (System.nanoTime() - start) / 1e9;
    double busy = Math.max(1, decodeNanos + modelNanos);
    return String.format("%.1f img/s (decode %.0f%%, model %.0f%%)", images / Math.max(secs, 1e-9),
        100 * decodeNanos / busy, 100 * modelNanos / busy);
  }

  private static String where() {
    TaskContext tc = TaskContext.get();
    return tc == null ? "driver" : "stage " + tc.stageId() + " partition " + tc.partitionId();
  }

  @Override
  public void close() {
    predictor.close();
    if (images > 0) {
      LOG.info("{}: done, {} images in {} s, {}", where(), images,
          String.format("%.1f", (System.nanoTime() - start) / 1e9), rate());
    }
  }
}
