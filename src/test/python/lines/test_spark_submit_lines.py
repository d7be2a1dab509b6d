"""Each Spark line's application jar under that line's real spark-submit.

The pyspark wheels carry whole Spark distributions: pyspark 3.5.x runs the Spark 3.5 jar, the
newest pyspark 4.x the Spark 4 jar, each from its own virtual environment (made by jobs/test). On
each: `evaluate` on a small slice of the quickstart's data, then `detect` with the detector it
saved, on a local-cluster master (executors in JVMs of their own, so the model travels to them as
on a cluster). The two lines must choose the same detector and give the same scores.

Run by jobs/test, which sets the OPNP_* variables below; run alone it skips, saying what is missing.
"""

import json
import os
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

PROJECT = Path(__file__).resolve().parents[4]
LINES = ("3.5", "4")
# Spark 3.5 and 4 are different builds of the same Java code over the same libtorch and BLAS: the
# model pass and the detector's arithmetic are the project's own, so the scores must agree bit for
# bit. Any difference would come from Spark itself (partitioning, row order), which the project's
# results must not depend on.
TOLERANCE = 0.0


def _env_key(line):
    return line.replace(".", "_")


def _required(name):
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set: run through jobs/test, which makes the pyspark environments and the jars")
    return value


def _fashion_mnist():
    d = Path(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    if not (d / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"Fashion-MNIST missing at {d}: jobs/test installs Debian's dataset-fashion-mnist")
    return d


def spark_submit(line, args, log):
    """Runs spark-submit of `line`'s pyspark with that line's jar; fails with the log's tail."""
    spark_home = _required("OPNP_SPARK_HOME_" + _env_key(line))
    jar = _required("OPNP_APP_JAR_" + _env_key(line))
    cmd = [
        os.path.join(spark_home, "bin", "spark-submit"),
        "--master", "local-cluster[2,1,2048]",
        "--properties-file", str(PROJECT / "conf" / "spark-defaults.conf"),
        # local-cluster executors fit in its workers' 2 GB; this machine has 2 cores
        "--conf", "spark.executor.memory=1536m", "--conf", "spark.driver.memory=3g",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.driver.host=127.0.0.1",
        "--class", "io.opnp.cli.OpnpCli", jar,
    ] + args
    env = dict(os.environ, SPARK_HOME=spark_home, SPARK_LOCAL_IP="127.0.0.1")
    start = time.monotonic()
    with open(log, "w") as out:
        code = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    text = Path(log).read_text(errors="replace")
    assert code == 0, f"spark-submit ({line}) {args[0]} exited {code} after {time.monotonic() - start:.0f} s:\n" + "\n".join(
        text.splitlines()[-60:])
    return text


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    fm = _fashion_mnist()
    mnist = _required("OPNP_MNIST_PACKAGE")
    tmp = tmp_path_factory.mktemp("lines")
    data = tmp / "data"
    model = PROJECT / "src" / "main" / "resources" / "demo" / "fmnist-resnet.pt"
    spark_submit("3.5", ["prepare-demo-data", "--master", "local[2]", "--fashion-mnist", str(fm), "--mnist-package", mnist,
                         "--noise-count", "300", "--output", str(data)], tmp / "prepare.log")
    out = {}
    for line in LINES:
        run = tmp / ("spark-" + line)
        spark_submit(line, [
            "evaluate", "--model", str(model), "--batch-size", "128",
            "--train", f"tr=idx:{fm}/train-images-idx3-ubyte.gz", "--train-limit", "2000", "--limit", "600",
            "--val-id", f"val-id=parquet:{data}/val-id",
            "--id-test", f"fm=idx:{fm}/t10k-images-idx3-ubyte.gz",
            "--ood", f"mnist=parquet:{data}/mnist", "--ood", f"noise=folder:{data}/noise",
            "--output", str(run / "eval")], tmp / f"spark-{line}.evaluate.log")
        spark_submit(line, [
            "detect", "--detector", str(run / "eval" / "detector"), "--model", str(model), "--limit", "600",
            "--input", f"fm=idx:{fm}/t10k-images-idx3-ubyte.gz", "--input", f"mnist=parquet:{data}/mnist",
            "--output", str(run / "detect")], tmp / f"spark-{line}.detect.log")
        out[line] = run
    return out


def _scores(run):
    t = pq.read_table(run / "detect" / "scores").to_pydict()
    keyed = {}
    for i in range(len(t["id"])):
        keyed[(t["dataset"][i], t["id"][i])] = (t["ood_score"][i], t["is_ood"][i], t["prediction"][i])
    return keyed


def test_each_line_runs_under_its_own_spark_submit(runs):
    for line, run in runs.items():
        engine = json.loads((run / "eval" / "metrics.json").read_text())["engine"]
        assert engine["built_for_spark_line"] == line
        assert engine["spark_version"].startswith("3.5." if line == "3.5" else "4."), engine["spark_version"]
        assert engine["self_test_passed"], engine
        summary = json.loads((run / "detect" / "summary.json").read_text())
        assert summary, line


def test_both_lines_choose_the_same_detector(runs):
    detectors = {line: json.loads((run / "eval" / "detector" / "detector.json").read_text()) for line, run in runs.items()}
    a, b = detectors["3.5"], detectors["4"]
    for key in ("method", "parameters", "threshold"):
        assert a[key] == b[key], f"{key}: Spark 3.5 {a[key]} vs Spark 4 {b[key]}"


def test_detect_scores_are_equal_across_the_lines(runs):
    a = _scores(runs["3.5"])
    b = _scores(runs["4"])
    assert a.keys() == b.keys(), "the two lines scored different images"
    assert len(a) == 1200
    worst = 0.0
    for k, (score, flag, pred) in a.items():
        s4, f4, p4 = b[k]
        worst = max(worst, abs(score - s4))
        assert (flag, pred) == (f4, p4), f"{k}: Spark 3.5 {(score, flag, pred)} vs Spark 4 {(s4, f4, p4)}"
    assert worst <= TOLERANCE, f"largest score difference {worst:.3g} > {TOLERANCE}"
