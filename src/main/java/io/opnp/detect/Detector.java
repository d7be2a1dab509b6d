package io.opnp.detect;

import io.opnp.BadInputException;
import io.opnp.data.Preprocess;
import io.opnp.decision.ConformalPValues;
import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.TrainingSums;
import io.opnp.methods.FittedState;
import io.opnp.methods.GuideBank;
import io.opnp.methods.KnnBank;
import io.opnp.methods.Method;
import io.opnp.methods.OodMethod;
import io.opnp.methods.Param;
import io.opnp.methods.VimSubspace;
import java.io.Serializable;

/**
 * A loaded detector: the method and its fitted state, the threshold, and the held-out ID scores for
 * p-values. {@link #scorer(LinearHead)} rebuilds the scoring method exactly as evaluate built it.
 *
 * @param vim ViM's subspace as evaluate fitted it; null for other methods, and for vim bundles written
 *     before the subspace was saved (it is then refitted from {@code training})
 */
public record Detector(DetectorSpec spec, double reactThreshold, double temperature, double threshold, double keep,
                       double expectedFalseAlarmRate, double falseAlarmLower, double falseAlarmUpper,
                       ConformalPValues pValues, String modelName, String modelSha256, String weightParam,
                       String biasParam, Preprocess preprocess, TrainingSums.Result training, double vimMeanResidual,
                       VimSubspace vim, KnnBank bank, GuideBank guides, Sensitivity sensitivity, String engine)
    implements Serializable {

  /** Fails unless {@code sha256} is the model this detector was fitted on. */
  public void checkModel(String name, String sha256) {
    if (!modelSha256.equals(sha256)) {
      throw new BadInputException("the detector was fitted on model " + modelName + " (sha256 " + modelSha256
          + "), not on " + name + " (sha256 " + sha256 + "); give the model it was made with, or run evaluate "
          + "again for this one");
    }
  }

  /** The scoring method on this model's head (which must be the one the detector was fitted on). */
  public OodMethod scorer(LinearHead head) {
    Method m = spec.method();
    boolean react = m.needs(Method.Need.REACT_THRESHOLD);
    // Older bundles lack the saved subspace. It is an eigen-decomposition of the saved statistics,
    // deterministic, so refitting it gives evaluate's subspace, only slower (~15 s at D = 2048).
    if (vim != null && vim.dim() != head.dim()) {
      throw new BadInputException("the detector's saved ViM subspace has dimension " + vim.dim() + " but the model's "
          + "head has " + head.dim() + " features; give the model the detector was made with");
    }
    VimSubspace subspace = m.needs(Method.Need.VIM) && vim == null ? VimSubspace.fit(head, training.features(), 0)
        : vim;
    FittedState state = new FittedState(training, react ? new double[] {spec.value(Param.REACT_PERCENTILE)}
        : new double[0], react ? new double[] {reactThreshold} : new double[0], subspace, vimMeanResidual, bank, guides,
        sensitivity);
    return spec.build(head, state, temperature);
  }

  /** How this detector flags inputs and judges a set of them: the one rule every entry point applies. */
  public io.opnp.decision.DecisionRule rule() {
    return new io.opnp.decision.DecisionRule(threshold, pValues, expectedFalseAlarmRate,
        new io.opnp.decision.Interval(falseAlarmLower, falseAlarmUpper, io.opnp.decision.DecisionRule.LEVEL));
  }
}
