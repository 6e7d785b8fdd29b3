"""ui.warm: what a visitor reads while a precomputed part is not ready."""

from __future__ import annotations

from core.warm import PartState
from ui.warm import describe, start_enabled


def test_waiting_line_says_step_elapsed_and_time_left():
    line = describe(PartState("building", "Fitting [x](http://e.vil)", 0.5, 12.0, 30.0), "SHAP")
    assert "12 s so far" in line and "about 30 s left" in line and "SHAP" in line
    assert "[x](http" not in line  # step text is escaped
    busy = describe(PartState("building", "Training", 0.05, 40.0, None, 2.0), "the model")
    assert "40 s so far" in busy and "longer than the usual 2 s" in busy
    queued = describe(PartState("queued", remaining_s=45.0, ahead=2), "the recipe")
    assert "after 2 steps already under way" in queued and "about 45 s left" in queued


def test_start_up_precomputing_switch(monkeypatch):
    monkeypatch.setenv("VALENCE_LAB_WARM", "off")
    assert not start_enabled()
    monkeypatch.setenv("VALENCE_LAB_WARM", "1")
    assert start_enabled()


def test_preload_covers_every_module_the_pages_import():
    """A page's first visitor after start-up finds its modules imported (``ui.warm.PRELOAD``).

    In a fresh interpreter: import what the router imports plus ``PRELOAD``, then every ``ui`` or
    ``core`` module a page imports must already be loaded (a new page module must be added).
    """
    import ast
    import subprocess
    import sys
    from pathlib import Path

    from ui.warm import PRELOAD

    root = Path(__file__).resolve().parents[2]
    wanted: set[str] = set()
    for page in [root / "app.py", *sorted((root / "app_pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(page.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                base = node.module
                if base.split(".")[0] not in ("ui", "core"):
                    continue
                wanted.add(base)
                wanted.update(f"{base}.{a.name}" for a in node.names)  # `from ui import lab`
    router = [
        n.module
        for n in ast.walk(ast.parse((root / "app.py").read_text()))
        if isinstance(n, ast.ImportFrom) and n.module and n.module.split(".")[0] == "ui"
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {[*router, *PRELOAD]!r}:\n"
        "    importlib.import_module(name)\n"
        f"wanted = {sorted(wanted)!r}\n"
        "print(json.dumps([m for m in wanted if m not in sys.modules\n"
        "    and not hasattr(sys.modules.get(m.rsplit('.', 1)[0]), m.rsplit('.', 1)[1])]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout
