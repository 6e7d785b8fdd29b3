"""Finding 1: a model file must never run code; only the types the app writes load."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from core.catalog import data
from core.modelling import export, models
from core.modelling.experiment import RunConfig, run_experiment
from tests.conftest import ROOT, make_synthetic_tracks


def exploit_file(code: str) -> bytes:
    """A skops file whose root node is ``builtins.exec(code)`` via ConstructorFromReduceNode."""
    base = sio.dumps(("x",))
    zin = zipfile.ZipFile(io.BytesIO(base))
    schema = json.loads(zin.read("schema.json"))
    schema.update(
        {
            "__class__": "exec",
            "__module__": "builtins",
            "__loader__": "ConstructorFromReduceNode",
            "content": {
                "__class__": "tuple",
                "__module__": "builtins",
                "__loader__": "TupleNode",
                "content": [
                    {
                        "__class__": "str",
                        "__module__": "builtins",
                        "__loader__": "JsonNode",
                        "content": json.dumps(code),
                        "is_json": True,
                    }
                ],
            },
        }
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, json.dumps(schema) if name == "schema.json" else zin.read(name))
    return out.getvalue()


def test_exploit_file_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = exploit_file(f"open({str(marker)!r}, 'w').write('x')")
    with pytest.raises(export.UnsafeModelError, match="builtins.exec"):
        export.load_model(evil)
    assert not marker.exists()


def test_cli_refuses_the_exploit_with_one_line(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    model = tmp_path / "evil.skops"
    model.write_bytes(exploit_file(f"open({str(marker)!r}, 'w').write('x')"))
    csv = tmp_path / "tracks.csv"
    make_synthetic_tracks(40, 2).to_csv(csv, index=False)
    proc = subprocess.run(
        [sys.executable, "-m", "core", "predict", "--data", str(csv), "--model-file", str(model)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert not marker.exists()
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "builtins.exec" in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["posix.system", "builtins.eval", "builtins.getattr"])
def test_other_callables_are_refused(name: str) -> None:
    module, cls = name.rsplit(".", 1)
    evil = exploit_file("1")
    zin = zipfile.ZipFile(io.BytesIO(evil))
    schema = json.loads(zin.read("schema.json"))
    schema["__module__"], schema["__class__"] = module, cls
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for n in zin.namelist():
            zout.writestr(n, json.dumps(schema) if n == "schema.json" else zin.read(n))
    with pytest.raises(export.UnsafeModelError, match=name):
        export.load_model(out.getvalue())


def test_allow_list_is_exact_names_without_builtins() -> None:
    assert all("." in t and not t.endswith(".") for t in export.ALLOWED_TYPES)
    assert not any(t.startswith("builtins.") for t in export.ALLOWED_TYPES)


@pytest.fixture(scope="module")
def tiny_frame():
    raw = make_synthetic_tracks(240, 3).to_csv(index=False).encode()
    return data.load_upload(raw, "s.csv").df


TINY = {"xgboost": {"n_estimators": 20}, "rf": {"n_estimators": 10}, "mlp": {"max_epochs": 5}}


@pytest.mark.parametrize("model_id", list(models.REGISTRY))
@pytest.mark.parametrize("task", ["valence", "genre"])
def test_every_model_the_app_writes_loads(tiny_frame, model_id: str, task: str) -> None:
    config = RunConfig(task=task, model_id=model_id, params=TINY.get(model_id, {}))
    result = run_experiment(tiny_frame, config)
    loaded = export.load_model(export.dump_model(result.model))
    head = tiny_frame.head(10)
    expected, got = result.model.predict(head), loaded.predict(head)
    if result.model.is_classifier:
        assert list(got) == list(expected)
    else:
        assert np.allclose(got, expected, atol=1e-12)
