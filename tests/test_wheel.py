"""jsolve installed from a wheel built from the repository works without the source checkout:
`jsolve run`, `jsolve solve --model test` and `jsolve eval` of the suite it ships (the prompts, the
suite and its fixtures travel inside the package)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel, whose dependencies come from this
    environment's site-packages (a path, so this environment's editable jsolve is not seen)."""
    root = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"), str(REPOSITORY)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (root / "dist").glob("jsolve-*.whl")
    env = root / "env"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return env


def jsolve(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JSOLVE_"))}
    return subprocess.run([str(env / "bin" / "jsolve"), *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env=environment)


def test_the_wheel_holds_the_package_and_not_the_checkout(installed, tmp_path):
    probe = subprocess.run([str(installed / "bin" / "python"), "-c", "import agent; print(agent.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    assert Path(probe.stdout.strip()).is_relative_to(installed), probe.stdout


def test_jsolve_run_from_the_wheel(installed, tmp_path):
    (tmp_path / "task.js").write_text("export default [3, 1, 2].sort()")
    done = jsolve(installed, "run", "task.js", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["value"] == [1, 2, 3]


def test_jsolve_solve_with_the_test_model_from_the_wheel(installed, tmp_path):
    done = jsolve(installed, "solve", "Add 2 and 3.", "--model", "test", "--max-attempts", "1", "--json", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr  # the test model writes no code: not solved, and said so
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["attempts"][0]["failure"]["kind"] == "extract"


def test_jsolve_eval_of_the_shipped_suite_from_the_wheel(installed, tmp_path):
    done = jsolve(installed, "eval", "--model", "test", "--limit", "2", "--max-attempts", "1", "--report", str(tmp_path / "run"),
                  cwd=tmp_path)
    assert "cannot read the suite" not in done.stdout + done.stderr, done.stdout + done.stderr
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert len(report["results"]) == 2 and report["planned"] == 2, report.keys()
