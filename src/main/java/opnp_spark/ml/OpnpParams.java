package opnp_spark.ml;

import org.apache.spark.ml.param.Param;

/**
 * The parameters shared by {@link OpnpEstimator} and {@link OpnpModel}: those of every stage that runs the model,
 * and the output columns of the scores they add.
 */
public interface OpnpParams extends ModelParams {
  default Param<String> scoreCol() {
    return opnpParams().scoreCol;
  }

  default Param<String> predictionCol() {
    return opnpParams().predictionCol;
  }

  /** Sets the defaults of these parameters on a new stage. */
  static void setDefaults(OpnpParams p) {
    ModelParams.setDefaults(p);
    p.setDefault(p.opnpParams().scoreCol, "ood_score");
    p.setDefault(p.opnpParams().predictionCol, "prediction");
  }
}
