"""The README's one test command does the whole set-up, and CI runs exactly that command."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT

COMMAND = "./scripts/test"


def _readme_test_command() -> str:
    block = re.search(r"## Quick start\s+```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README has no Quick start block"
    lines = [ln for ln in block.group(1).splitlines() if "test" in ln]
    assert len(lines) == 1, lines
    return lines[0].split("#")[0].strip()


def test_readme_names_one_test_command_and_ci_runs_exactly_it():
    assert _readme_test_command() == COMMAND
    ci = [
        ln.strip()
        for ln in (ROOT / ".ci" / "run").read_text().splitlines()
        if ln.strip() and not ln.strip().startswith("#")
    ]
    assert COMMAND in ci
    assert any("ruff" in ln and ln.endswith("check .") for ln in ci), "CI keeps the lint"


def test_the_test_command_installs_chromium_and_the_requirements():
    script = (ROOT / "scripts" / "test").read_text()
    assert "apt-get install" in script and "chromium" in script
    assert "CHROMIUM_PATH" in script  # the browser test reads it
    assert "-m venv" in script and "requirements-dev.txt" in script
    assert 'python -m pytest -q "$@"' in script
    for path in (ROOT / "scripts" / "test", ROOT / ".ci" / "run"):
        assert path.stat().st_mode & 0o111, f"{path} is not executable"
        subprocess.run(["bash", "-n", str(path)], check=True)
