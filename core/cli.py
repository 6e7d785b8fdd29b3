"""Headless CLI: ``python -m core evaluate|predict|recipe|warm``; each prints one JSON object.

Same code path as the Model lab (``core.modelling.experiment``), so numbers are reproducible
outside the browser. Unusable input (unknown schema, bad hyperparameters) prints a clear message
to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import warm
from core.catalog import data, sources
from core.modelling import export, features, models, splits, tasks
from core.modelling.experiment import RunConfig, cross_validate, run_experiment
from core.modelling.params import ParamError
from core.safety import write_csv

log = logging.getLogger(__name__)
EVALUATE_TASKS = ("valence", "genre", "valence-class", "genre-group", "subgenre")


class UsageError(ValueError):
    """Input the CLI cannot use; printed to stderr, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m core``."""
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__)
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

    pr = sub.add_parser("predict", help="apply a saved model to a CSV; write predictions")
    pr.add_argument("--data", type=Path, required=True)
    pr.add_argument("--model-file", type=Path, required=True)
    pr.add_argument("--out", type=Path, help="output CSV (default: <data>.predictions.csv)")

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
        return data.load_catalog(source, allow_download=True).df
    assert path is not None
    if not path.is_file():
        raise UsageError(f"No such file: {path}")
    return data.load_upload(path.read_bytes(), path.name, require_valence=require_valence).df


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
    raw = _params(args.params)
    df = load_frame(args.source, args.data)
    load_s = time.perf_counter() - t0
    if args.task not in tasks.available_tasks(df):
        raise UsageError(
            f"This dataset does not support the task {args.task!r}; "
            f"it supports {tasks.available_tasks(df)}"
        )
    params = models.check_params(args.model, tasks.is_regression(args.task), raw)
    try:
        tasks.check_transform(args.target, args.task)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
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
    if args.folds and args.folds < 2:
        raise UsageError("--folds must be at least 2 (or left out for one holdout split)")
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
    model = export.load_model_file(args.model_file)
    df = load_frame(None, args.data, require_valence=False)  # tracks to predict need no valence
    keep = [c for c in ("track_id", "track_name", "artists", "genre", "valence") if c in df]
    out = df[keep].copy()
    out[f"predicted_{model.task}"] = model.predict(df)
    if model.is_classifier:
        out["confidence"] = model.predict_proba(df).max(axis=1).to_numpy()
    path = args.out or Path(f"{args.data.stem}.predictions.csv")
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


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    logging.basicConfig(level=logging.WARNING)
    args = build_parser().parse_args(argv)
    handlers = {"evaluate": evaluate, "predict": predict, "recipe": recipe, "warm": warm_sources}
    try:
        result = handlers[args.command](args)
    except (
        data.SchemaError,
        ParamError,
        UsageError,
        export.UnsafeModelError,
        sources.DownloadError,
        warm.WarmError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. too few rows/artists for a split
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, default=str))
    return 0
