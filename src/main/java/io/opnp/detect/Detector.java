package io.opnp.detect;

import io.opnp.BadInputException;
import io.opnp.data.Preprocess;
import io.opnp.decision.DecisionRule;
import io.opnp.math.LinearHead;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FittedState;
import io.opnp.methods.Method;
import io.opnp.methods.OodMethod;
import io.opnp.methods.VimSubspace;
import java.io.Serializable;

/**
 * A loaded detector: the method, its fitted state, and the rule that flags inputs (threshold, held-out ID scores for
 * p-values, the false-alarm rate to expect). {@link #scorer(LinearHead)} rebuilds the scoring method exactly as
 * evaluate built it.
 *
 * @param keep the share of held-out ID scores the threshold keeps
 */
public record Detector(DetectorSpec spec, double temperature, double keep, DecisionRule rule, ModelIdentity model,
                       Preprocess preprocess, FittedState state, Provenance provenance) implements Serializable {

  /**
   * Where and how it was made, kept so that saving it again writes the same {@code detector.json}.
   *
   * @param engine the engine where it was fitted, as JSON
   * @param selection how it was chosen, as JSON (null: not recorded)
   */
  public record Provenance(String engine, String selection) implements Serializable {}

  public double threshold() {
    return rule.threshold();
  }

  public double expectedFalseAlarmRate() {
    return rule.expectedRate();
  }

  /**
   * ViM's subspace as evaluate fitted it; null for other methods, and for vim bundles written before the subspace was
   * saved (it is then refitted from the training statistics).
   */
  public VimSubspace vim() {
    return state.vim();
  }

  /**
   * Fails unless {@code sha256} is the model this detector was fitted on, or {@code exportedFrom}
   * (the model's card: the file it was exported from, e.g. the ONNX export of the TorchScript
   * model the detector was fitted on) is.
   */
  public void checkModel(String name, String sha256, java.util.Optional<String> exportedFrom) {
    if (!model.sha256().equals(sha256) && !exportedFrom.map(model.sha256()::equals).orElse(false)) {
      throw new BadInputException("the detector was fitted on model " + model.name() + " (sha256 " + model.sha256()
          + "), not on " + name + " (sha256 " + sha256 + exportedFrom.map(x -> ", exported from sha256 " + x).orElse("")
          + "); give the model it was made with (or its ONNX export made by src/main/python/export_onnx.py, whose "
          + "card names it), or run evaluate again for this one");
    }
  }

  /** The scoring method on this model's head (which must be the one the detector was fitted on). */
  public OodMethod scorer(LinearHead head) {
    VimSubspace vim = state.vim();
    if (vim != null && vim.dim() != head.dim()) {
      throw new BadInputException("the detector's saved ViM subspace has dimension " + vim.dim() + " but the model's "
          + "head has " + head.dim() + " features; give the model the detector was made with");
    }
    FittedState s = state;
    // Older bundles lack the saved subspace. It is an eigen-decomposition of the saved statistics,
    // deterministic, so refitting it gives evaluate's subspace, only slower (~15 s at D = 2048).
    if (spec.needs().contains(Method.Need.VIM) && vim == null) {
      s = state.toBuilder().vim(VimSubspace.fit(head, state.stats(), 0), state.vimMeanResidual()).build();
    }
    return spec.build(head, s, temperature);
  }
}
