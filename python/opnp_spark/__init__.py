"""opnp-spark for PySpark: out-of-distribution detection by Optimal Parameter and Neuron Pruning.

    from pyspark.sql import SparkSession
    import opnp_spark
    from opnp_spark import OodDetector

    spark = opnp_spark.configure(SparkSession.builder).getOrCreate()
    detector = OodDetector(modelPath="model.pt", validationIndicatorCol="held_out").fit(images)
    flagged = detector.transform(incoming)          # ood_score, ood_pvalue, is_ood, prediction
"""

from opnp_spark._jvm import JAR_VERSION, OpnpJarError, configure, find_jar, jar_name, spark_line
from opnp_spark.ml import OodDetector, OodDetectorModel, OodEvaluator, OpnpEstimator, OpnpModel

__version__ = "0.1.0.dev0"
__all__ = ["configure", "find_jar", "jar_name", "spark_line", "JAR_VERSION", "OpnpJarError", "OodDetector",
           "OodDetectorModel", "OodEvaluator", "OpnpEstimator", "OpnpModel"]
