"""Headless CLI: ``python -m core evaluate|predict|recipe|warm``; each prints one JSON object.

Same code path as the Model lab (``core.modelling.experiment``), so numbers are reproducible
outside the browser. Every unusable input (unknown or offline source, unknown schema, bad
hyperparameters, a missing output folder, classes too small for the split, an untrusted model
file) prints one line to stderr and exits with status 2, checked before any long work; an
unexpected failure prints one line (no traceback) and exits 1. ``VALENCE_LAB_DEBUG=1`` shows
tracebacks.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import warm
from core.catalog import data, sources
from core.modelling import distributed, export, features, models, splits, tasks
from core.modelling.experiment import RunConfig, cross_validate, run_experiment
from core.modelling.params import ParamError
from core.safety import describe_error, write_csv

log = logging.getLogger(__name__)
ENGINE_HELP = (
    "local (default) or dask: XGBoost through xgboost.dask, CV folds and predictions as Dask "
    f"tasks on the scheduler in {distributed.SCHEDULER_ENV}, or on a 2-worker local cluster"
)
EVALUATE_TASKS = ("valence", "genre", "valence-class", "genre-group", "subgenre")


class UsageError(ValueError):
    """Input the CLI cannot use; printed to stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``error: …``, exit 2) instead of the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print one line and exit with status 2."""
        self.exit(2, f"error: {message} (see python -m core --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m core``."""
    parser = _Parser(prog="python -m core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add_source(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group(required=True)
        group.add_argument("--source", help="a source id, e.g. tidytuesday-spotify-songs")
        group.add_argument("--data", type=Path, help="a CSV of tracks (any schema the app reads)")

    ev = sub.add_parser("evaluate", help="train and score a model; print metrics as JSON")
    add_source(ev)
    ev.add_argument("--task", choices=EVALUATE_TASKS, default="valence")
    ev.add_argument("--model", choices=list(models.REGISTRY), default="xgboost")
    ev.add_argument("--features", choices=list(features.FEATURE_SETS), default="audio")
    ev.add_argument(
        "--params", default="{}", help="hyperparameters as JSON, e.g. '{\"max_depth\": 4}'"
    )
    ev.add_argument(
        "--target",
        choices=list(tasks.TARGET_TRANSFORMS),
        default="none",
        help="target transform for valence: none or logit",
    )
    ev.add_argument("--split", choices=list(splits.SPLITS), default="grouped")
    ev.add_argument(
        "--folds", type=int, default=0, help="k-fold CV (k >= 2) instead of one holdout"
    )
    ev.add_argument("--seed", type=int, default=models.DEFAULT_SEED)
    ev.add_argument("--save-model", type=Path, help="write the holdout model as a skops file")
    ev.add_argument("--engine", choices=distributed.ENGINES, help=ENGINE_HELP)

    pr = sub.add_parser("predict", help="apply a saved model to a CSV; write predictions")
    pr.add_argument("--data", type=Path, required=True)
    pr.add_argument("--model-file", type=Path, required=True)
    pr.add_argument("--out", type=Path, help="output CSV (default: <data>.predictions.csv)")
    pr.add_argument("--engine", choices=distributed.ENGINES, help=ENGINE_HELP)

    rc = sub.add_parser("recipe", help="the additive valence recipe as JSON")
    add_source(rc)
    rc.add_argument("--features", choices=list(features.FEATURE_SETS), default="audio")
    rc.add_argument("--seed", type=int, default=models.DEFAULT_SEED)

    wm = sub.add_parser(
        "warm",
        help="precompute default models, SHAP, OLS, recipe and UMAP of public datasets",
        description="Build the artefacts every session loads (into VALENCE_LAB_CACHE_DIR).",
    )
    wm.add_argument(
        "--source",
        action="append",
        help="a public source id (repeatable; default: every dataset on disk)",
    )
    wm.add_argument("--parts", nargs="+", metavar="PART", help=f"only these of {list(warm.PARTS)}")
    wm.add_argument("--prune", action="store_true", help="delete artefacts of older versions")
    return parser


def load_frame(
    source: str | None, path: Path | None, *, require_valence: bool = True
) -> pd.DataFrame:
    """The cleaned catalog of a source id or a CSV file (``SchemaError`` if unusable)."""
    if source:
        check_source(source)
        try:
            return data.load_catalog(source, allow_download=True).df
        except sources.DownloadError as exc:
            raise UsageError(str(exc)) from exc
    assert path is not None
    check_input_file(path)
    return data.load_upload(path.read_bytes(), path.name, require_valence=require_valence).df


def check_source(source: str) -> None:
    """``UsageError`` unless ``source`` is a registered source id or a local extra file."""
    known = [*sources.SOURCES, *sources.local_extra_files()]
    if source not in known:
        raise UsageError(f"Unknown --source {source!r}; known: {', '.join(known)}")


def check_data_args(source: str | None, path: Path | None) -> None:
    """The cheap checks of ``--source``/``--data`` (before anything is loaded)."""
    if source:
        check_source(source)
    if path is not None:
        check_input_file(path)


def check_input_file(path: Path) -> None:
    """``UsageError`` unless ``path`` is a readable file."""
    if not path.is_file():
        raise UsageError(f"No such file: {path}")


def check_output_path(path: Path | None, flag: str) -> None:
    """``UsageError`` unless ``path`` can be written: its folder exists and it is no folder."""
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{flag}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{flag}: the folder {folder} is not writable")


def _params(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--params is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise UsageError('--params must be a JSON object, e.g. {"max_depth": 4}')
    return value


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``evaluate`` and return the JSON-ready result."""
    t0 = time.perf_counter()
    raw = _params(args.params)  # every check that needs no data comes first
    params = models.check_params(args.model, tasks.is_regression(args.task), raw)
    if args.folds and args.folds < 2:
        raise UsageError("--folds must be at least 2 (or left out for one holdout split)")
    try:
        tasks.check_transform(args.target, args.task)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    check_output_path(args.save_model, "--save-model")
    check_data_args(args.source, args.data)
    if args.save_model is not None and args.folds >= 2:
        raise UsageError("--save-model needs a holdout run: leave out --folds")
    df = load_frame(args.source, args.data)
    load_s = time.perf_counter() - t0
    if args.task not in tasks.available_tasks(df):
        raise UsageError(
            f"This dataset does not support the task {args.task!r}; "
            f"it supports {tasks.available_tasks(df)}"
        )
    config = RunConfig(
        args.task,
        args.model,
        params,
        args.features,
        args.split,
        folds=args.folds,
        seed=args.seed,
        target=args.target,
    )
    tasks.check_class_sizes(df, config.task, config.split, config.folds)
    out: dict[str, Any] = {
        "command": "evaluate",
        "source": args.source or str(args.data),
        "task": args.task,
        "model": args.model,
        "features": args.features,
        "target": args.target,
        "split": args.split,
        "folds": args.folds,
        "seed": args.seed,
        "params": params,
    }
    missing = features.missing_inputs(df, args.features, args.task)
    if missing:
        out["missing_inputs"] = missing
    if args.folds >= 2:
        cv = cross_validate(df, config)
        out |= {
            "n_rows": cv["n_rows"],
            "metrics": cv["metrics"],
            "fold_metrics": cv["fold_metrics"],
            "timings": {"load_s": load_s, "fit_s_per_fold": cv["fit_s"]},
        }
    else:
        res = run_experiment(df, config)
        out |= {
            "n_rows": res.n_rows,
            "n_train": res.n_train,
            "n_test": res.n_test,
            "n_fit": res.fit.n_fit,
            "n_validation": res.fit.n_validation,
            "rounds": res.fit.steps_done,
            "best_round": res.fit.best_step,
            "input_columns": res.model.input_columns,
            "metrics": res.metrics,
            "timings": {"load_s": load_s, **res.timings},
        }
        if res.comparison is not None:
            out["grouped_split_metrics"] = res.comparison
        if args.save_model:
            args.save_model.write_bytes(export.dump_model(res.model))
            out["model_file"] = str(args.save_model)
    out["timings"]["total_s"] = time.perf_counter() - t0
    return _jsonable(out)


def predict(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``predict``: write a predictions CSV and return a JSON-ready summary."""
    if not args.model_file.is_file():
        raise UsageError(f"No such model file: {args.model_file}")
    check_input_file(args.data)
    path = args.out or Path(f"{args.data.stem}.predictions.csv")
    check_output_path(path, "--out")
    model = export.load_model_file(args.model_file)
    df = load_frame(None, args.data, require_valence=False)  # tracks to predict need no valence
    keep = [c for c in ("track_id", "track_name", "artists", "genre", "valence") if c in df]
    out = df[keep].copy()
    client = distributed.active_client()
    if client is not None:
        out[f"predicted_{model.task}"] = distributed.predict_partitions(client, model, df)
    else:
        out[f"predicted_{model.task}"] = model.predict(df)
    if model.is_classifier:
        out["confidence"] = model.predict_proba(df).max(axis=1).to_numpy()
    write_csv(out, path)
    absent = [c for c in model.input_columns if c not in df and "=" not in c]
    return {
        "command": "predict",
        "model": model.model_id,
        "task": model.task,
        "rows": len(out),
        "out": str(path),
        "inputs_not_in_file": absent,
    }


def recipe(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``recipe`` (implemented in ``core.explain.recipe``)."""
    from core.explain.recipe import cli_recipe

    check_data_args(args.source, args.data)
    df = load_frame(args.source, args.data)
    return cli_recipe(df, feature_set=args.features, seed=args.seed)


def warm_sources(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``warm``: build what is missing for each public source; report per part."""
    t0 = time.perf_counter()
    ids = args.source or list(sources.available_sources())
    for sid in ids:
        if sid not in sources.SOURCES and not sid.startswith(sources.LOCAL_PREFIX):
            known = ", ".join([*sources.SOURCES, *sources.local_extra_files()])
            raise UsageError(f"Unknown public source {sid!r}; known: {known}")
    parts = args.parts or list(warm.PARTS)
    unknown = [p for p in parts if p not in warm.PARTS]
    if unknown:
        raise UsageError(f"Unknown part(s) {unknown}; choose from {list(warm.PARTS)}")
    out: dict[str, Any] = {"command": "warm", "version": warm.version_key()[:12], "sources": {}}
    catalogs = []
    for sid in ids:
        catalog = data.load_catalog(sid, allow_download=True)
        catalogs.append(catalog)
        done: dict[str, Any] = {}
        for part in parts:
            done[part] = warm.build_part(catalog, part)
            print(f"[warm] {sid}: {part} {done[part]['status']}", file=sys.stderr, flush=True)
        out["sources"][sid] = {"tracks": len(catalog.df), "parts": done}
    if args.prune:
        out["pruned_folders"] = warm.prune(catalogs)
    out["total_s"] = time.perf_counter() - t0
    return _jsonable(out)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else round(float(value), 6)
    return value


def _one_line(exc: BaseException) -> str:
    """An error message on one line (multi-line messages joined with ``; ``)."""
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return text or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    debug = bool(os.environ.get("VALENCE_LAB_DEBUG"))
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
    if not debug:  # library warnings print source paths; the JSON result says what matters
        warnings.simplefilter("ignore")
    args = build_parser().parse_args(argv)
    handlers = {"evaluate": evaluate, "predict": predict, "recipe": recipe, "warm": warm_sources}
    engine = getattr(args, "engine", None)
    try:
        with distributed.use_engine(engine) if engine else contextlib.nullcontext():
            result = handlers[args.command](args)
            if engine:
                result["engine"] = engine
    except (
        data.SchemaError,
        ParamError,
        UsageError,
        export.UnsafeModelError,
        sources.DownloadError,
        warm.WarmError,
        distributed.EngineError,
    ) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. too few rows/artists for a split
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback on the terminal (unless VALENCE_LAB_DEBUG)
        if debug:
            raise
        log.debug("unexpected failure", exc_info=True)
        print(f"error: unexpected problem ({describe_error(exc)})", file=sys.stderr)
        return 1
    print(json.dumps(result, default=str))
    return 0
