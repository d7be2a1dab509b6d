"""The example notebook (python/examples/detect_ood.ipynb), executed headless as a user would run it."""

from pathlib import Path

import pytest

from conftest import MODEL

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "detect_ood.ipynb"


def test_the_example_notebook_runs_without_errors_and_shows_its_plots(data, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    # The notebook's kernel is a process of its own, with its own Spark session and the same jar.
    monkeypatch.setenv("OPNP_DEMO_DATA", str(data))
    monkeypatch.setenv("OPNP_DEMO_MODEL", str(MODEL))
    monkeypatch.setenv("OPNP_NOTEBOOK_IMAGES", "1600")
    monkeypatch.setenv("OPNP_MLFLOW_DIR", str(tmp_path / "mlruns"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(str(EXAMPLE), as_version=4)
    nbclient.NotebookClient(nb, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, "\n".join(f"{o.ename}: {o.evalue}" for o in errors)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, f"{len(images)} inline figures"
    text = "".join(o.get("text", "") for o in outputs)
    assert "mnist          AUROC" in text and "fmnist-vflip   AUROC" in text, text
    assert "reloaded, it flags" in text, text
    assert any((tmp_path / "mlruns").rglob("MLmodel")), "no MLflow model in the tracking folder"
