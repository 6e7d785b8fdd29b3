"""Run every ``bench/bench_*.py`` module's ``run(ctx)`` and write one JSON report.

Each module returns a dict of measured figures; the report nests them under the module's name
together with the machine facts. Usage::

    python -m bench                       # everything, to bench/results/latest.json
    python -m bench load                  # one bench (8 browser sessions on a real server)
    python -m bench --only data models    # a subset
    python -m bench --quick               # smaller synthetic sizes (a smoke run)
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benches to run (e.g. load); default: all")
    parser.add_argument("--only", nargs="*", help="module names without the bench_ prefix")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not os.environ.get("VALENCE_LAB_DATA_DIR") and SHARED.is_dir():
        os.environ["VALENCE_LAB_DATA_DIR"] = str(SHARED)

    names = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    wanted = set(args.names or []) | set(args.only or [])
    if wanted:
        unknown = wanted - set(names)
        if unknown:
            parser.error(f"unknown bench(es) {sorted(unknown)}; choose from {names}")
        names = [n for n in names if n in wanted]
    report: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "quick": args.quick,
        "results": {},
    }
    ctx = {"quick": args.quick, "root": ROOT}
    for name in names:
        t0 = time.perf_counter()
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"bench.bench_{name}")
            result = module.run(ctx)
        except Exception as exc:  # keep going: one broken bench must not hide the others
            result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        result["bench_wall_s"] = round(time.perf_counter() - t0, 2)
        report["results"][name] = result
        print(json.dumps({name: result}, indent=2, default=str), file=sys.stderr, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps(report, indent=2, default=str))
    return 1 if any("error" in r for r in report["results"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
