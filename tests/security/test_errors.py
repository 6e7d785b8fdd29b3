"""Finding 5: no traceback, native trace or server path on a page or the CLI; CLI bad input
exits 2 with one line, checked before long work; small classes are caught before training."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.catalog import data
from core.jobs import Job
from core.modelling import tasks
from core.safety import describe_error
from tests.conftest import ROOT, make_synthetic_tracks

NATIVE = (
    "[20:01:02] /workspace/src/objective/multiclass_obj.cu:121: SoftmaxMultiClassObj: label "
    "must be in [0, num_class).\nStack trace:\n  [bt] (0) /opt/venv/lib/python3.11/site-packages"
    "/xgboost/lib/libxgboost.so(+0x2a6f1c) [0x7f]\n"
)


def tiny_class_frame() -> object:
    df = make_synthetic_tracks(300, 3, seed=8)
    df.loc[:1, "genre"] = "tiny"
    df.loc[:1, "artists"] = ["Tiny One", "Tiny Two"]
    return df


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    good = folder / "tracks.csv"
    make_synthetic_tracks(300, 3, seed=5).to_csv(good, index=False)
    tiny = folder / "tiny.csv"
    tiny_class_frame().to_csv(tiny, index=False)
    return {"good": good, "tiny": tiny, "folder": folder}


def run_cli(*argv: str, env: dict | None = None) -> tuple[int, str, str, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "core", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started


def bad_cases(files: dict[str, Path]) -> list[tuple[str, list[str], dict, str]]:
    good, tiny, folder = str(files["good"]), str(files["tiny"]), files["folder"]
    missing = str(folder / "no-such-folder" / "x")
    offline = {
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "VALENCE_LAB_DATA_DIR": str(folder / "empty"),
        "VALENCE_LAB_CACHE_DIR": str(folder / "cache"),
    }
    return [
        ("unknown source", ["evaluate", "--source", "nope"], {}, "Unknown --source"),
        ("offline source", ["evaluate", "--source", "spotify-tracks-114k"], offline, "offline"),
        ("recipe offline", ["recipe", "--source", "spotify-tracks-114k"], offline, "offline"),
        (
            "save-model folder",
            ["evaluate", "--data", good, "--save-model", missing + ".skops"],
            {},
            "does not exist",
        ),
        (
            "out folder",
            ["predict", "--data", good, "--model-file", good, "--out", missing + ".csv"],
            {},
            "does not exist",
        ),
        (
            "out is a folder",
            ["predict", "--data", good, "--model-file", good, "--out", str(folder)],
            {},
            "is a folder",
        ),
        (
            "bad params",
            ["evaluate", "--data", good, "--params", '{"max_depth": "deep"}'],
            {},
            "Max depth",
        ),
        (
            "params not json",
            ["evaluate", "--data", good, "--params", "{oops"],
            {},
            "not valid JSON",
        ),
        ("unknown model", ["evaluate", "--data", good, "--model", "gpt"], {}, "invalid choice"),
        ("folds", ["evaluate", "--data", good, "--folds", "1"], {}, "--folds"),
        ("missing data", ["evaluate", "--data", str(folder / "none.csv")], {}, "No such file"),
        ("not a model", ["predict", "--data", good, "--model-file", good], {}, "skops"),
        ("small classes", ["evaluate", "--data", tiny, "--task", "genre"], {}, "tiny (2 tracks"),
        ("no command", [], {}, "required"),
    ]


def test_cli_bad_inputs_exit_2_with_one_line(files) -> None:
    for name, argv, env, expected in bad_cases(files):
        code, out, err, _ = run_cli(*argv, env=env)
        lines = err.strip().splitlines()
        assert code == 2, (name, code, err[-500:])
        assert out == "", name
        assert len(lines) == 1 and lines[0].startswith("error:"), (name, err)
        assert expected in lines[0], (name, lines[0])
        assert "Traceback" not in err and "site-packages" not in err, name


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", "--data", "{good}", "--save-model", "{folder}/gone/m.skops"],
        ["evaluate", "--data", "{good}", "--params", '{{"max_depth": -1}}'],
        ["evaluate", "--data", "{good}", "--folds", "1"],
        ["evaluate", "--source", "nope"],
        ["predict", "--data", "{good}", "--model-file", "{good}", "--out", "{folder}/gone/p.csv"],
    ],
)
def test_bad_input_is_refused_before_any_long_work(files, monkeypatch, capsys, argv) -> None:
    """Nothing is loaded or trained before the arguments are checked."""
    from core import cli

    def never(*args, **kwargs):
        raise AssertionError("long work started before the input was checked")

    monkeypatch.setattr(cli, "load_frame", never)
    monkeypatch.setattr(cli.export, "load_model_file", never)
    monkeypatch.setattr(cli, "run_experiment", never)
    filled = [a.format(good=files["good"], folder=files["folder"]) for a in argv]
    assert cli.main(filled) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_small_classes_are_named_with_fixes() -> None:
    df = data.load_upload(tiny_class_frame().to_csv(index=False).encode(), "t.csv").df
    problem = tasks.class_size_problem(df, "genre", "grouped")
    assert problem and "tiny (2 tracks, 2 artists)" in problem
    assert "dropping" in problem and "merging" in problem and "another task" in problem
    assert tasks.class_size_problem(df, "valence") is None
    assert tasks.class_size_problem(df, "valence-class") is None
    with pytest.raises(tasks.SmallClassError):
        tasks.check_class_sizes(df, "genre", "random", folds=5)


def test_model_lab_catches_small_classes_before_training() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    upload = data.load_upload(tiny_class_frame().to_csv(index=False).encode(), "tiny.csv")
    at.session_state["upload_catalog"] = upload
    at.session_state["dataset"] = upload.source_id
    at.run()
    at.switch_page("app_pages/model_lab.py")
    at.run()
    at.selectbox(key="lab_task").set_value("genre").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "tiny" in errors and "too small" in errors
    assert at.button(key="lab_train").disabled and at.button(key="lab_tune").disabled
    assert "lab_job" not in at.session_state


def test_native_errors_lose_their_trace_and_paths() -> None:
    text = describe_error(RuntimeError(NATIVE))
    assert "Stack trace" not in text and "/workspace" not in text and "site-packages" not in text
    assert text.startswith("RuntimeError: ") and "label must be in" in text

    def work(on_progress, should_stop):
        raise RuntimeError(NATIVE)

    job = Job(work, "boom").start()
    assert job.wait(10)
    assert job.error and "\n" not in job.error and "/opt/" not in job.error
