import json

import pytest

from core import cli
from core.modelling import export
from tests.conftest import make_synthetic_tracks


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "tracks.csv"
    make_synthetic_tracks(300, 3, seed=5).to_csv(path, index=False)
    return path


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _run_on(capsys, command: str, data, **options):
    """``command --data DATA --opt value …`` (an option ``save_model`` is ``--save-model``)."""
    argv = [command, "--data", str(data)]
    for name, value in options.items():
        argv += [f"--{name.replace('_', '-')}", str(value)]
    return _run(capsys, *argv)


def test_evaluate_prints_one_json_object(capsys, csv_path, tmp_path):
    model_file = tmp_path / "m.skops"
    code, out, _ = _run_on(
        capsys,
        "evaluate",
        csv_path,
        task="valence",
        model="xgboost",
        params='{"n_estimators": 30}',
        save_model=model_file,
    )
    assert code == 0
    result = json.loads(out)
    assert {"mae", "rmse", "r2"} <= set(result["metrics"])
    assert result["n_train"] + result["n_test"] == result["n_rows"]
    assert result["params"]["n_estimators"] == 30 and result["split"] == "grouped"
    assert result["timings"]["total_s"] > 0
    assert export.load_model_file(model_file).task == "valence"

    pred_out = tmp_path / "pred.csv"
    code, out, _ = _run_on(capsys, "predict", csv_path, model_file=model_file, out=pred_out)
    assert code == 0 and json.loads(out)["rows"] == 300
    assert "predicted_valence" in pred_out.read_text().splitlines()[0]

    # tracks to predict need no valence, and may lack a feature the model used
    new = make_synthetic_tracks(40, 3, seed=6).drop(columns=["valence", "loudness"])
    new_path = tmp_path / "new.csv"
    new.to_csv(new_path, index=False)
    code, out, err = _run_on(
        capsys, "predict", new_path, model_file=model_file, out=tmp_path / "new_pred.csv"
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["rows"] == 40 and summary["inputs_not_in_file"] == ["loudness"]


def test_evaluate_folds_report_spread(capsys, csv_path):
    code, out, _ = _run_on(
        capsys, "evaluate", csv_path, task="genre", model="tree", folds=3, features="context"
    )
    assert code == 0
    result = json.loads(out)
    for key in ("accuracy", "balanced_accuracy", "macro_f1"):
        assert key in result["metrics"] and f"{key}_sd" in result["metrics"]
    assert len(result["fold_metrics"]) == 3


def test_bad_input_exits_2_with_a_message(capsys, csv_path, tmp_path):
    code, out, err = _run_on(
        capsys, "evaluate", csv_path, params='{"max_depth": 0, "learning_rate": 0}'
    )
    assert code == 2 and out == "" and "Max depth" in err and "Learning rate" in err
    code, _, err = _run_on(capsys, "evaluate", csv_path, params="{oops")
    assert code == 2 and "not valid JSON" in err
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n")
    code, _, err = _run_on(capsys, "evaluate", junk)
    assert code == 2 and err.startswith("error:")
    code, _, err = _run_on(capsys, "predict", csv_path, model_file=junk)
    assert code == 2 and "skops" in err


def test_recipe_subcommand_is_parsed():
    args = cli.build_parser().parse_args(
        ["recipe", "--source", "x", "--features", "all", "--seed", "3"]
    )
    assert (args.command, args.source, args.features, args.seed) == ("recipe", "x", "all", 3)


def test_evaluate_lightgbm_logit_engineered(capsys, csv_path):
    code, out, _ = _run_on(
        capsys,
        "evaluate",
        csv_path,
        model="lightgbm",
        target="logit",
        features="engineered",
        params='{"n_estimators": 40}',
    )
    assert code == 0
    result = json.loads(out)
    assert result["target"] == "logit" and result["model"] == "lightgbm"
    assert "text_score" in result["input_columns"] and "title_length" in result["input_columns"]
    assert result["missing_inputs"]["subgenres"].startswith("the dataset has no")
    assert 0 < result["metrics"]["mae"] < 0.5


def test_evaluate_refuses_a_logit_genre_target(capsys, csv_path):
    code, out, err = _run_on(capsys, "evaluate", csv_path, task="genre", target="logit")
    assert code == 2 and out == ""
    assert "valence regression only" in err


def test_warm_builds_then_reports_ready_and_refuses_bad_input(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path / "cache"))
    source = "local:spotify_tracks_6genres_sample.csv"
    code, out, err = _run(capsys, "warm", "--source", source, "--parts", "ols", "selection")
    assert code == 0, err
    result = json.loads(out)
    parts = result["sources"][source]["parts"]
    assert {p["status"] for p in parts.values()} == {"built"}
    assert result["sources"][source]["tracks"] > 4000 and str(tmp_path) not in out
    code, out, _ = _run(capsys, "warm", "--source", source, "--parts", "ols")
    assert json.loads(out)["sources"][source]["parts"]["ols"]["status"] == "ready"
    for argv in (["--source", "upload:x.csv"], ["--source", "nope"], ["--parts", "shap", "pie"]):
        code, out, err = _run(capsys, "warm", *argv)
        assert code == 2 and out == "" and err.startswith("error: ")
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
