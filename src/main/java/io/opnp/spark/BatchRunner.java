package io.opnp.spark;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.types.DataType;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.opnp.BadInputException;
import io.opnp.data.ImageDecoder;
import io.opnp.model.ImageBatch;
import io.opnp.model.ModelOutput;
import io.opnp.model.LoadedModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one partition's rows through the model in batches. Rows are read on the task's thread;
 * their images are decoded on the executor's {@link DecodePool} into one of two reused float
 * buffers while the model runs on the other, so decoding and the forward pass overlap. Hands back
 * features and logits with the rows' ids and labels. One per task; the predictor is closed with
 * the runner (the model itself stays cached in the JVM).
 */
public final class BatchRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);
  private static final long LOG_EVERY_NANOS = 15_000_000_000L;

  private final InferenceConfig cfg;
  private final Predictor<ImageBatch, ModelOutput> predictor;
  private final DataType inputType;
  private final DataType modelType;
  private final ImageDecoder decoder;
  private final ExecutorService pool;
  private final float[][] buffers;
  private final RowLayout layout;
  private final long start = System.nanoTime();
  private int nextBuffer;
  private Pending pending;
  private long waitNanos;
  private long modelNanos;
  private long images;
  private long lastLog = start;
  private long position;

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

  public BatchRunner(InferenceConfig cfg) {
    this(cfg, RowLayout.STANDARD);
  }

  public BatchRunner(InferenceConfig cfg, RowLayout layout) {
    this.cfg = cfg;
    this.layout = layout;
    ZooModel<ImageBatch, ModelOutput> model = ExecutorModels.model(cfg);
    // The model card's golden check at this job's batch size, once per JVM (kernels depend on the batch).
    io.opnp.model.EngineGuard.verifyAtBatch(model, ExecutorModels.resolve(cfg), ExecutorModels.device(cfg), cfg.batchSize());
    this.modelType = LoadedModels.parameterType(model);
    this.inputType = cfg.precision().inputType(modelType, cfg.modelName());
    this.predictor = model.newPredictor();
    this.decoder = new ImageDecoder(cfg.preprocess());
    this.pool = DecodePool.get(cfg.decodeThreads());
    int size = cfg.batchSize() * cfg.preprocess().pixels();
    this.buffers = new float[][] {new float[size], new float[size]};
  }

  /** Rows taken for one batch, their images being decoded into {@code buffer} slot by slot. */
  private final class Pending {
    final Row[] rows;
    final String[] ids;
    final Long[] labels;
    final String[] datasets;
    final float[] buffer;
    final String[] errors;
    final Throwable[] causes;
    final List<Future<?>> parts = new ArrayList<>();
    final int n;

    Pending(Iterator<Row> source, float[] buffer) {
      int cap = cfg.batchSize();
      rows = new Row[cap];
      ids = new String[cap];
      labels = new Long[cap];
      datasets = new String[cap];
      errors = new String[cap];
      causes = new Throwable[cap];
      this.buffer = buffer;
      byte[][] bytes = new byte[cap][];
      int k = 0;
      while (k < cap && source.hasNext()) {
        Row r = source.next();
        rows[k] = r;
        ids[k] = layout.id(r, position++);
        labels[k] = layout.label(r);
        datasets[k] = layout.dataset(r);
        bytes[k] = layout.image(r);
        k++;
      }
      n = k;
      // A few images per pool task: enough work per hand-off, yet spread over every decode thread.
      int chunk = Math.max(1, Math.min(8, (n + DecodePool.size() - 1) / Math.max(1, DecodePool.size())));
      int pixels = cfg.preprocess().pixels();
      for (int from = 0; from < n; from += chunk) {
        int a = from;
        int b = Math.min(n, from + chunk);
        parts.add(pool.submit(() -> {
          for (int i = a; i < b; i++) {
            try {
              decoder.decode(bytes[i], buffer, i * pixels);
              io.opnp.data.ValidationProxy proxy = layout.proxy(datasets[i]);
              if (proxy != null) {
                var pre = cfg.preprocess();
                proxy.apply(buffer, i * pixels, pre.channels(), pre.height(), pre.width(),
                    io.opnp.data.ValidationProxy.seed(ids[i]));
              }
            } catch (ImageDecoder.UnreadableImageException e) {
              errors[i] = e.getMessage();
              causes[i] = e;
            }
          }
        }));
      }
    }

    void await() {
      try {
        for (Future<?> f : parts) {
          f.get();
        }
      } catch (InterruptedException e) {
        cancel();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while decoding images", e);
      } catch (ExecutionException e) {
        cancel();
        Throwable c = e.getCause();
        throw c instanceof RuntimeException re ? re : new IllegalStateException("image decoding failed", c);
      }
    }

    void cancel() {
      for (Future<?> f : parts) {
        f.cancel(true);
      }
    }
  }

  /** The dtype of the model's parameters, i.e. the precision it computes in (see {@link io.opnp.model.Precision}). */
  public DataType modelType() {
    return modelType;
  }

  /** The next batch from {@code rows}, or null when they are exhausted. */
  public Batch next(Iterator<Row> rows) {
    if (pending == null) {
      pending = new Pending(rows, nextBuffer());
    }
    Pending cur = pending;
    long t0 = System.nanoTime();
    cur.await();
    long t1 = System.nanoTime();
    waitNanos += t1 - t0;
    pending = rows.hasNext() ? new Pending(rows, nextBuffer()) : null;  // decoded while the model runs
    if (cur.n == 0) {
      return null;
    }
    int pixels = cfg.preprocess().pixels();
    List<Skipped> skipped = new ArrayList<>();
    int n = 0;
    for (int i = 0; i < cur.n; i++) {
      if (cur.errors[i] != null) {
        if (!cfg.skipBadImages()) {
          if (pending != null) {
            pending.cancel();
            pending = null;
          }
          throw new BadInputException("dataset " + cur.datasets[i] + ", image " + cur.ids[i] + ": " + cur.errors[i]
              + "; remove or replace that image, or pass --on-bad-image=skip to leave such images out", cur.causes[i]);
        }
        skipped.add(new Skipped(cur.rows[i], cur.datasets[i], cur.ids[i], cur.errors[i]));
        continue;
      }
      if (n != i) {  // close the gap a skipped image left, keeping the order
        System.arraycopy(cur.buffer, i * pixels, cur.buffer, n * pixels, pixels);
        cur.rows[n] = cur.rows[i];
        cur.ids[n] = cur.ids[i];
        cur.labels[n] = cur.labels[i];
        cur.datasets[n] = cur.datasets[i];
      }
      n++;
    }
    if (n == 0) {
      return new Batch(cur.rows, cur.ids, cur.labels, cur.datasets, null, skipped);
    }
    int cap = cfg.batchSize();
    // Always a full batch (zero padding): a sample's outputs then never depend on how many images
    // share its batch, so results do not change with the number of partitions.
    Arrays.fill(cur.buffer, n * pixels, cap * pixels, 0f);
    ModelOutput full;
    try {
      full = predictor.predict(new ImageBatch(cur.buffer, cap, cfg.preprocess().channels(),
          cfg.preprocess().height(), cfg.preprocess().width(), inputType));
    } catch (TranslateException e) {
      BadInputException bad = BadInputException.find(e);
      if (bad != null) {
        throw bad;
      }
      if (modelType != inputType) {  // bf16 weights get float32 input: the model must cast it itself
        throw new BadInputException("model " + cfg.modelName() + " failed on " + inputType + " input with "
            + modelType + " weights (" + firstLine(e) + "); a bf16 model must cast its float32 input first "
            + "(x = x.to(torch.bfloat16) in forward), see README, 'ImageNet scale, GPUs and mixed precision'", e);
      }
      throw new IllegalStateException("model " + cfg.modelName() + " failed on a batch of " + n + " images of "
          + "dataset " + cur.datasets[0] + " starting at " + cur.ids[0] + ": " + e.getMessage(), e);
    }
    ModelOutput out = new ModelOutput(full.features(), full.logits(), n, full.dim(), full.classes());
    long t2 = System.nanoTime();
    modelNanos += t2 - t1;
    images += n;
    if (t2 - lastLog > LOG_EVERY_NANOS) {
      lastLog = t2;
      LOG.info("{}: {} images, {}", where(), images, rate());
    }
    ModelOutput.NonFinite bad = out.firstNonFinite();
    if (bad != null) {
      int k = bad.row();
      throw new BadInputException("model " + cfg.modelName() + " returned a non-finite value " + bad
          + " for dataset " + cur.datasets[k] + ", image " + cur.ids[k] + "; check that image and the model. If many "
          + "images do this, the engine may compute wrong on this machine although its self-test passed ("
          + io.opnp.model.EngineGuard.status().mode().id() + " mode): run 'opnp doctor --model "
          + cfg.modelName() + "' there, and see README, 'Numerics on every machine'");
    }
    return new Batch(cur.rows, cur.ids, cur.labels, cur.datasets, out, skipped);
  }

  private static String firstLine(Throwable e) {
    for (String line : String.valueOf(e.getMessage()).split("\n")) {
      if (line.startsWith("RuntimeError")) {
        return line.trim();
      }
    }
    return e.getClass().getSimpleName();
  }

  private float[] nextBuffer() {
    float[] b = buffers[nextBuffer];
    nextBuffer ^= 1;
    return b;
  }

  private String rate() {
    double secs = (System.nanoTime() - start) / 1e9;
    double busy = Math.max(1, waitNanos + modelNanos);
    // "waiting for decode" high: the model is starved, raise --decode-threads; low: the model is the bottleneck.
    return String.format("%.1f img/s (model %.0f%%, waiting for decode %.0f%%)", images / Math.max(secs, 1e-9),
        100 * modelNanos / busy, 100 * waitNanos / busy);
  }

  private static String where() {
    TaskContext tc = TaskContext.get();
    return tc == null ? "driver" : "stage " + tc.stageId() + " partition " + tc.partitionId();
  }

  @Override
  public void close() {
    if (pending != null) {
      pending.cancel();
      pending = null;
    }
    predictor.close();
    if (images > 0) {
      LOG.info("{}: done, {} images in {} s, {}", where(), images,
          String.format("%.1f", (System.nanoTime() - start) / 1e9), rate());
    }
  }
}
