package opnp_spark.ml;

import io.opnp.BadInputException;
import org.apache.spark.SparkContext;
import org.apache.spark.ml.util.DefaultParamsReader;

/**
 * Reading a saved stage's metadata. The ML stages lived in the Java package {@code io.opnp.ml}
 * before they moved here, to the package named like the Python module that wraps them (PySpark
 * finds a saved stage's Python class from its Java class name, and Python's own {@code io} module
 * hides {@code io.opnp}); models saved under the old name still load.
 */
final class SavedStages {
  private SavedStages() {}

  static DefaultParamsReader.Metadata metadata(String path, SparkContext sc, Class<?> stage) {
    DefaultParamsReader.Metadata md = DefaultParamsReader.loadMetadata(path, sc, "");
    String found = md.className();
    if (!found.equals(stage.getName()) && !found.equals("io.opnp.ml." + stage.getSimpleName())) {
      throw new BadInputException(path + " holds a saved " + found + ", not a " + stage.getSimpleName()
          + "; load it with that class (or PipelineModel.load for a pipeline)");
    }
    return md;
  }
}
