"""The JVM side: finding the project's jar for the installed pyspark, and checking the one in use.

The jar holds the stages' Java code; it must be of this package's version and of the Spark line
(3.5 on Scala 2.12, or 4 on Scala 2.13) of the Spark it runs in. Where it is missing or wrong, the
errors PySpark would give ('JavaPackage' object is not callable, NoSuchMethodError) are replaced by
one that names the fix.
"""

import os
from pathlib import Path

#: The Maven version of the jar this package goes with.
JAR_VERSION = "0.1.0-SNAPSHOT"
_SCALA = {"3.5": "2.12", "4": "2.13"}
_checked = set()


class OpnpJarError(RuntimeError):
    """The project's jar is missing from the JVM, or of another version or Spark line."""


def spark_line(version=None):
    """The Spark line ("3.5" or "4") of a Spark version (default: the installed pyspark's)."""
    if version is None:
        import pyspark

        version = pyspark.__version__
    major, minor = version.split(".")[:2]
    if major == "3" and minor == "5":
        return "3.5"
    if major == "4":
        return "4"
    raise OpnpJarError(f"Spark {version} is not supported: opnp-spark runs on Spark 3.5 (Scala 2.12) and Spark 4.0.1 or "
                       "later (Scala 2.13)")


def jar_name(line=None):
    """The application jar's file name for a Spark line."""
    line = line or spark_line()
    return f"opnp-spark-{line}_{_SCALA[line]}-{JAR_VERSION}-app.jar"


def find_jar(line=None):
    """The application jar for the installed pyspark's line: $OPNP_SPARK_JAR, else the checkout's own build.

    The jar is not on Maven Central (the project is not released yet), so it comes from a local build:
    `mvn -B -DskipTests package` (Spark 3.5) or `mvn -B -DskipTests -Pspark-4 package` (Spark 4)
    beside this package, or wherever OPNP_SPARK_JAR points.
    """
    line = line or spark_line()
    given = os.environ.get("OPNP_SPARK_JAR")
    if given:
        if not Path(given).is_file():
            raise OpnpJarError(f"OPNP_SPARK_JAR={given} is not a file; point it at {jar_name(line)}")
        return given
    built = Path(__file__).resolve().parents[2] / "target" / jar_name(line)
    if built.is_file():
        return str(built)
    profile = "" if line == "3.5" else " -Pspark-4"
    raise OpnpJarError(f"no opnp-spark jar for Spark {line}: build it in the project's checkout with "
                       f"`mvn -B -DskipTests{profile} package` (it makes target/{jar_name(line)}), or set OPNP_SPARK_JAR "
                       "to that jar, or pass configure(builder, jar=PATH)")


def configure(builder, jar=None):
    """Returns `builder` (a SparkSession.Builder) with the project's jar for this pyspark's Spark line added.

    `jar`: a path to the application jar; default `find_jar()`. Jars already in spark.jars are kept.
    """
    path = str(jar) if jar is not None else find_jar()
    existing = getattr(builder, "_options", {}).get("spark.jars")
    return builder.config("spark.jars", f"{existing},{path}" if existing else path)


def _refuse_connect():
    try:
        from pyspark.sql.utils import is_remote
    except ImportError:  # pyspark 3.5 without Connect's client
        return
    if is_remote():
        raise OpnpJarError(
            "opnp-spark's stages run Java code of their own in the Spark driver, which a Spark Connect client (including "
            "Databricks' standard access mode and serverless) cannot reach. Use a classic SparkSession: on Databricks a "
            "cluster in dedicated (single user) access mode with the opnp-spark jar installed as a cluster library.")


def check(sc):
    """Checks once per SparkContext that the JVM has the project's jar, of this version and Spark line."""
    _refuse_connect()
    if sc is None:
        raise OpnpJarError("no active SparkContext: create the session first, with "
                           "opnp_spark.configure(SparkSession.builder).getOrCreate()")
    key = id(sc)
    if key in _checked:
        return
    line = spark_line(sc.version)
    try:
        info = sc._jvm.io.opnp.BuildInfo
        version, built_for = info.version(), info.sparkLine()
    except Exception as e:  # py4j: 'JavaPackage' object is not callable, or a class that does not load
        raise OpnpJarError(f"the opnp-spark jar is not on this Spark's classpath ({e.__class__.__name__}: "
                           f"{str(e).splitlines()[0] if str(e) else ''}). Start the session with "
                           f"opnp_spark.configure(SparkSession.builder), or add {jar_name(line)} to spark.jars "
                           "(Databricks: install it as a cluster library)") from None
    if built_for != line:
        raise OpnpJarError(f"the opnp-spark jar on the JVM was built for Spark {built_for}, but this is Spark {sc.version}: "
                           f"use {jar_name(line)} instead (a Scala {_SCALA.get(built_for)} jar cannot run on Scala "
                           f"{_SCALA[line]})")
    if version != JAR_VERSION:
        raise OpnpJarError(f"the opnp-spark jar on the JVM is version {version}, this Python package goes with "
                           f"{JAR_VERSION}: install the matching jar ({jar_name(line)}) or package")
    _checked.add(key)
