"""The Python stages on a real SparkSession of this pyspark, with the project's jar of its line."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pyspark.ml import Pipeline, PipelineModel

import opnp_spark
from opnp_spark import OodDetector, OodDetectorModel, OodEvaluator, OpnpEstimator, OpnpModel

from conftest import FASHION, LIMIT, MODEL, PROJECT, TRAIN, java_cli

STAGES = [OodDetector, OodDetectorModel, OpnpEstimator, OpnpModel, OodEvaluator]


def _rows(df):
    return {r["id"]: r for r in df.select("id", "ood_score", "ood_pvalue", "is_ood", "prediction").collect()}


def assert_same_scores(expected, actual, n):
    a, b = _rows(expected), _rows(actual)
    assert len(a) == n and a.keys() == b.keys()
    for k, x in a.items():
        y = b[k]
        # bit for bit: the same doubles, not merely close ones
        assert x["ood_score"].hex() == y["ood_score"].hex(), (k, x["ood_score"], y["ood_score"])
        assert (x["ood_pvalue"], x["is_ood"], x["prediction"]) == (y["ood_pvalue"], y["is_ood"], y["prediction"]), k


@pytest.fixture(scope="module")
def fitted(spark, images, tmp_path_factory):
    detector = OodDetector(modelPath=str(MODEL), batchSize=128, validationIndicatorCol="held_out",
                           workDir=str(tmp_path_factory.mktemp("work")))
    return detector, detector.fit(images)


def test_the_generated_wrappers_are_those_of_this_jar(spark):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import generate_stages

    committed = (Path(opnp_spark.__file__).parent / "ml.py").read_text()
    assert generate_stages.render(spark._jvm) == committed, "run python/tools/generate_stages.py JAR"


def test_every_param_has_the_java_name_doc_and_default(spark):
    for cls in [OodDetector, OpnpEstimator, OodEvaluator]:
        stage = cls()
        java = stage._java_obj
        assert sorted(p.name for p in stage.params) == sorted(p.name() for p in java.params())
        for p in stage.params:
            jp = java.getParam(p.name)
            assert p.doc == jp.doc(), p.name
            if java.hasDefault(jp):
                default = stage.getOrDefault(p)
                jd = java.getDefault(jp).get()
                assert (list(jd) if isinstance(default, list) else jd) == default, p.name
    d = OodDetector()
    assert (d.getBatchSize(), d.getKeepId(), d.getProxies(), d.getSelectBy(), d.getInputShape()) == (
        256, 95.0, "shuffle,permute,blur,rotate,lfnoise", "mean", [1, 28, 28])


def test_params_round_trip_through_python_and_java_saves(spark, tmp_path):
    d = OodDetector(modelPath=str(MODEL), keepId=90.0, proxies="blur,rotate", validationIndicatorCol="v")
    assert d.getKeepId() == 90.0 and d.getProxies() == "blur,rotate" and d.getValidationIndicatorCol() == "v"
    d.setSelectBy("worst").setInputShape([1, 28, 28])
    path = str(tmp_path / "detector-estimator")
    d.write().overwrite().save(path)
    java = spark._jvm.opnp_spark.ml.OodDetector.load(path)
    assert java.getOrDefault(java.getParam("selectBy")) == "worst"
    assert java.getOrDefault(java.getParam("keepId")) == 90.0
    java.set(java.getParam("valLimit"), 777)
    java.write().overwrite().save(path + "-java")
    back = OodDetector.load(path + "-java")
    assert (back.getValLimit(), back.getSelectBy(), back.uid) == (777, "worst", d.uid)
    with pytest.raises(TypeError):
        OodDetector(str(MODEL))  # keyword-only, as pyspark.ml's own


def test_fit_in_python_chooses_evaluates_detector_and_scores_bit_for_bit(spark, data, fitted, incoming, tmp_path):
    _, model = fitted
    out = tmp_path / "evaluate"
    java_cli(spark, "evaluate", "--master", "local[2]", "--model", str(MODEL), "--batch-size", "128",
             "--train", f"train=idx:{FASHION}/train-images-idx3-ubyte.gz", "--train-limit", str(TRAIN),
             "--limit", str(LIMIT), "--val-id", f"val-id=parquet:{data}/val-id",
             "--id-test", f"fm=idx:{FASHION}/t10k-images-idx3-ubyte.gz", "--ood", f"mnist=parquet:{data}/mnist",
             "--output", str(out))
    saved = tmp_path / "python-model"
    model.write().save(str(saved))
    assert (saved / "detector" / "detector.json").read_text() == (out / "detector" / "detector.json").read_text()
    # The Java API on the CLI's bundle, and the Python model, on the same images.
    jvm = spark._jvm
    java_model = jvm.opnp_spark.ml.OodDetectorModel.fromBundle(spark._jsparkSession, str(out / "detector"))
    java_model.setModelPath(str(MODEL)).setBatchSize(128)
    from pyspark.sql import DataFrame

    expected = DataFrame(java_model.transform(incoming._jdf), spark)
    scored = model.transform(incoming)
    assert_same_scores(expected, scored, 400)
    assert {"ood_score", "ood_pvalue", "is_ood", "prediction"} <= set(scored.columns)
    flagged = scored.where("is_ood and dataset = 'mnist'").count()
    assert flagged > 100, f"only {flagged} of 200 MNIST digits flagged"
    truth = scored.withColumn("is_ood_truth", scored["dataset"] != "fm")
    auroc = OodEvaluator(oodIndicatorCol="is_ood_truth").evaluate(truth)
    by_set = OodEvaluator(oodIndicatorCol="is_ood_truth").evaluateBySet(truth)
    assert 0.5 < auroc <= 1.0 and by_set["mnist"]["auroc"] == auroc


def test_a_python_save_loads_in_java_and_a_java_save_in_python(spark, fitted, incoming, tmp_path):
    _, model = fitted
    path = str(tmp_path / "model")
    model.write().save(path)
    java = spark._jvm.opnp_spark.ml.OodDetectorModel.load(path)
    assert java.uid() == model.uid
    java.write().overwrite().save(path + "-java")
    back = OodDetectorModel.load(path + "-java")
    assert isinstance(back, OodDetectorModel) and back.getModelPath() == str(MODEL)
    assert_same_scores(model.transform(incoming), back.transform(incoming), 400)


def test_pipelines_with_the_detector_save_and_load_in_python(spark, fitted, incoming, tmp_path):
    estimator, model = fitted
    pipeline = Pipeline(stages=[estimator])
    pipeline.write().overwrite().save(str(tmp_path / "pipeline"))
    stage = Pipeline.load(str(tmp_path / "pipeline")).getStages()[0]
    assert isinstance(stage, OodDetector) and stage.getValidationIndicatorCol() == "held_out"
    PipelineModel(stages=[model]).write().overwrite().save(str(tmp_path / "pipeline-model"))
    loaded = PipelineModel.load(str(tmp_path / "pipeline-model"))
    assert type(loaded.stages[0]) is OodDetectorModel
    assert_same_scores(model.transform(incoming), loaded.transform(incoming), 400)


def test_transform_on_a_streaming_dataframe_equals_the_batch_one(spark, fitted, incoming, tmp_path):
    _, model = fitted
    src = str(tmp_path / "arrivals")
    incoming.write.parquet(src)
    stream = spark.readStream.schema(incoming.schema).parquet(src)
    query = (model.transform(stream).writeStream.format("parquet").option("path", str(tmp_path / "scored"))
             .option("checkpointLocation", str(tmp_path / "checkpoint")).trigger(availableNow=True).start())
    query.awaitTermination(300)
    assert query.exception() is None
    # Against the batch transform of the same files: the same rows in the same model batches (libtorch's
    # kernels depend on a batch's size, so other batches may differ in the last bits).
    assert_same_scores(model.transform(spark.read.parquet(src)), spark.read.parquet(str(tmp_path / "scored")), 400)


def test_the_opnp_estimator_and_model_round_trip(spark, images, incoming, tmp_path):
    train = images.where("not held_out").limit(500)
    model = OpnpEstimator(modelPath=str(MODEL), batchSize=128).fit(train)
    assert isinstance(model, OpnpModel)
    model.setMethod("energy")
    path = str(tmp_path / "opnp-model")
    model.write().save(path)
    back = OpnpModel.load(path)
    assert back.getMethod() == "energy"
    a = {r["id"]: r["ood_score"] for r in model.transform(incoming).select("id", "ood_score").collect()}
    b = {r["id"]: r["ood_score"] for r in back.transform(incoming).select("id", "ood_score").collect()}
    assert a == b and len(a) == 400


def _python(code, env_extra=None):
    import os

    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          cwd=str(PROJECT / "python"), timeout=600)


def test_a_session_without_the_jar_gets_a_message_naming_the_fix():
    r = _python("""
        from pyspark.sql import SparkSession
        import opnp_spark
        spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
        try:
            opnp_spark.OodDetector()
        except opnp_spark.OpnpJarError as e:
            print("REFUSED:", e)
    """)
    assert "REFUSED: the opnp-spark jar is not on this Spark's classpath" in r.stdout, r.stdout + r.stderr
    assert "opnp_spark.configure(SparkSession.builder)" in r.stdout
    assert opnp_spark.jar_name() in r.stdout


def test_a_missing_jar_is_named_before_spark_starts(monkeypatch, tmp_path):
    monkeypatch.setenv("OPNP_SPARK_JAR", str(tmp_path / "nowhere.jar"))
    with pytest.raises(opnp_spark.OpnpJarError, match="is not a file; point it at " + opnp_spark.jar_name()):
        opnp_spark.find_jar()


@pytest.mark.skipif(opnp_spark.spark_line() != "4", reason="Spark Connect sessions from PySpark: Spark 4 line only")
def test_spark_connect_is_refused_up_front_naming_dedicated_access_mode():
    r = _python("""
        from pyspark.sql import SparkSession
        import opnp_spark
        spark = opnp_spark.configure(SparkSession.builder).remote("local[1]").getOrCreate()
        assert spark.range(3).count() == 3   # a real Connect session
        try:
            opnp_spark.OodDetector()
        except opnp_spark.OpnpJarError as e:
            print("REFUSED:", e)
        spark.stop()
    """)
    assert "REFUSED:" in r.stdout and "dedicated (single user) access mode" in r.stdout, r.stdout + r.stderr[-3000:]
