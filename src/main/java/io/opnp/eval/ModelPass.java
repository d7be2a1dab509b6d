package io.opnp.eval;

import io.opnp.data.ImageSchema;
import io.opnp.data.ValidationProxy;
import io.opnp.data.ValidationSplit;
import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.spark.FeatureCacheJob;
import io.opnp.spark.FirstById;
import io.opnp.spark.InferenceConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The first stage of {@code evaluate} and of {@code OodDetector.fit}: the validation proxies made
 * from the held-out ID images, then one model pass over every dataset that writes the feature cache
 * and sums the training set's sensitivity in the same tasks. Both entry points hand it datasets in
 * {@link ImageSchema}'s layout, so they cache the same rows and choose the same detector.
 */
public final class ModelPass {
  private ModelPass() {}

  /**
   * The datasets of one pass, each in {@link ImageSchema}'s layout with its name in the dataset column.
   *
   * @param idTest the ID test set, or null (OodDetector.fit has none)
   * @param others OOD sets the user gave (validation or test): cached, never labelled
   * @param proxies the proxies to make from {@code valId}'s selection half
   */
  public record Sets(Named train, Named valId, Named idTest, List<Dataset<Row>> others,
                     List<ValidationProxy> proxies, int valLimit) {
    public Sets {
      others = List.copyOf(others);
      proxies = List.copyOf(proxies);
    }

    /** The in-distribution sets, whose labels must be in [0, C). */
    List<Named> labelled() {
      return idTest == null ? List.of(train, valId) : List.of(train, valId, idTest);
    }
  }

  /** A dataset and its name in the cache. */
  public record Named(String name, Dataset<Row> rows) {}

  /** What the pass produced. */
  public record Outcome(LinearHead head, Sensitivity sensitivity) {}

  /**
   * Runs the pass: the cache goes to {@code cache}; the sensitivity is summed over the training set's
   * rows unless {@code given} is already known.
   *
   * @param identity what made the cache (model, datasets), written beside it
   */
  public static Outcome run(SparkSession spark, InferenceConfig cfg, Sets sets, List<String> identity, String cache,
                            boolean overwrite, Sensitivity given) {
    List<Dataset<Row>> data = new ArrayList<>();
    List<String> labelled = new ArrayList<>();
    for (Named n : sets.labelled()) {
      data.add(n.rows());
      labelled.add(n.name());
    }
    data.addAll(sets.others());
    Map<String, ValidationProxy> proxies = new LinkedHashMap<>();
    for (ValidationProxy p : sets.proxies()) {
      data.add(proxy(sets.valId().rows(), p, sets.valId().name(), sets.valLimit()));
      proxies.put(p.datasetName(sets.valId().name()), p);
    }
    FeatureCacheJob.Outcome pass = FeatureCacheJob.run(spark, cfg,
        new FeatureCacheJob.Inputs(data, labelled, proxies, given == null ? sets.train().name() : null), identity,
        cache, overwrite);
    return new Outcome(pass.head(), given == null ? pass.sensitivity() : given);
  }

  /** The selection half of the ID validation images (by id, at most {@code limit}), as proxy {@code p}. */
  static Dataset<Row> proxy(Dataset<Row> valId, ValidationProxy p, String source, int limit) {
    return FirstById.first(valId.filter(new ValidationSplit.SelectionHalf(true)), limit)
        .withColumn(ImageSchema.ID, functions.concat(functions.lit(p.key() + "/"), functions.col(ImageSchema.ID)))
        .withColumn(ImageSchema.DATASET, functions.lit(p.datasetName(source)))
        .select(ImageSchema.ID, ImageSchema.IMAGE, ImageSchema.LABEL, ImageSchema.DATASET);
  }
}
