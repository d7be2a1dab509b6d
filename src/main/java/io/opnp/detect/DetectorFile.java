package io.opnp.detect;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.opnp.data.Preprocess;
import io.opnp.math.Check;
import java.util.List;
import java.util.Map;

/**
 * {@code detector.json}, format 2, bound by Jackson (snake_case keys): what a detector is, how it decides and what
 * its method's fitted state holds (numbers here by {@link io.opnp.methods.Method.Need} key; arrays as raw float64
 * files under {@code state/<need>/}). Format 1 is read by {@link Format1Bundle}.
 *
 * @param state each need's numbers, by the need's key
 * @param calibrationScores the held-out ID scores p-values are computed against
 */
@JsonPropertyOrder({"format", "method", "label", "parameters", "temperature", "threshold", "model", "preprocessing",
    "engine", "selection", "state", "calibration_scores"})
record DetectorFile(int format, String method, String label, Map<String, Object> parameters, double temperature,
                    Threshold threshold, ModelIdentity model, Preprocessing preprocessing, Map<String, Object> engine,
                    Map<String, Object> selection, Map<String, Map<String, Number>> state,
                    double[] calibrationScores) {
  static final int FORMAT = 2;
  /**
   * Format 2's layout holding a fusion that combines its members by other than the minimum: the versions that read
   * formats 1 and 2 only would score it by the minimum against a threshold set for another score, so they must
   * refuse it, and do, by its format.
   */
  static final int FORMAT_COMBINED_FUSION = 3;
  static final String RULE = "is_ood = ood_score < threshold; ood_pvalue = (1 + #{calibration <= score}) / (n + 1)";

  DetectorFile {
    Check.argument(method != null && parameters != null && threshold != null && model != null
        && preprocessing != null && state != null && calibrationScores != null,
        "a required entry (method, parameters, threshold, model, preprocessing, state, calibration_scores) is null");
  }

  /** The operating point: the threshold, the share of held-out ID scores it keeps, the false-alarm rate to expect. */
  @JsonPropertyOrder({"keep_id_share", "threshold", "rule", "expected_false_alarm_rate", "false_alarm_interval_95"})
  record Threshold(double keepIdShare, double threshold, String rule, double expectedFalseAlarmRate,
                   @JsonProperty("false_alarm_interval_95") List<Double> falseAlarmInterval95) {
    Threshold {
      Check.argument(falseAlarmInterval95 != null && falseAlarmInterval95.size() == 2,
          "false_alarm_interval_95 must hold two numbers, got %s", falseAlarmInterval95);
    }
  }

  /** How images are made into the model's input (as {@link Preprocess}). */
  record Preprocessing(int channels, int height, int width, float[] mean, float[] std, int resizeShorter,
                       long maxImagePixels, String resampling) {
    static Preprocessing of(Preprocess p) {
      return new Preprocessing(p.channels(), p.height(), p.width(), p.mean(), p.std(), p.resizeShorter(),
          p.maxImagePixels(), p.resampling().key());
    }

    Preprocess toPreprocess() {
      return new Preprocess(channels, height, width, mean, std, resizeShorter, maxImagePixels,
          Preprocess.Resampling.parse(resampling));
    }
  }

  /** The mapper every read and write of the file goes through. */
  static ObjectMapper mapper() {
    return new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(SerializationFeature.INDENT_OUTPUT)
        .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
  }
}
