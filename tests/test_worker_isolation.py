"""A worker imports only jsolve's own code and holds none of the caller's environment: started
from a folder that holds an `agent/` package and a `quickjs.py`, jsolve still runs its own worker,
and a secret in the caller's environment is not in the worker's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.sandbox import Sandbox

HOSTILE = """
import os, sys
open(os.path.join({marker!r}, {name!r} + "-" + str(os.getpid())), "w").close()
"""


@pytest.fixture
def hostile_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A folder whose `agent` package, `agent.sandbox.worker`, `quickjs.py` and `_quickjs.py` each
    leave a file in `marker` when imported (and the worker module would run in place of ours)."""
    folder, marker = tmp_path / "project", tmp_path / "imported"
    marker.mkdir()
    (folder / "agent" / "sandbox" / "worker").mkdir(parents=True)
    for path, name in [("agent/__init__.py", "agent"), ("agent/sandbox/__init__.py", "agent.sandbox"),
                       ("agent/sandbox/worker/__init__.py", "agent.sandbox.worker"), ("quickjs.py", "quickjs"),
                       ("_quickjs.py", "_quickjs"), ("json.py", "json")]:
        (folder / path).write_text(HOSTILE.format(marker=str(marker), name=name))
    return folder, marker


def jsolve_command() -> str:
    found = shutil.which("jsolve", path=os.path.dirname(sys.executable))
    assert found, "the jsolve command is installed beside this interpreter"
    return found


def test_jsolve_run_from_a_folder_with_an_agent_package_imports_none_of_it(hostile_folder):
    folder, marker = hostile_folder
    (folder / "task.js").write_text("export default [1, 2, 3].map(n => n * 2)")
    done = subprocess.run([jsolve_command(), "run", "task.js", "--json"], cwd=folder, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["value"] == [2, 4, 6]
    assert sorted(p.name.split("-")[0] for p in marker.iterdir()) == []


def test_a_sandbox_made_in_a_folder_with_an_agent_package_imports_none_of_it(hostile_folder, monkeypatch):
    folder, marker = hostile_folder
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PYTHONPATH", str(folder))
    monkeypatch.setenv("PYTHONSTARTUP", str(folder / "quickjs.py"))
    with Sandbox(1) as sandbox:
        result = sandbox.run("export default 6 * 7")
    assert result.ok and result.value == 42, result
    assert list(marker.iterdir()) == []


def worker_environment(sandbox: Sandbox) -> dict[str, str]:
    sandbox.run("export default 1")  # the worker is started and ready
    (worker,) = sandbox._all
    raw = Path(f"/proc/{worker.process.pid}/environ").read_bytes()
    return dict(entry.split("=", 1) for entry in raw.decode().split("\0") if entry)


def test_a_worker_does_not_inherit_the_callers_secrets(monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_secret")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("TZ", "America/New_York")
    with Sandbox(1) as sandbox:
        environment = worker_environment(sandbox)
        offset = sandbox.run("export default new Date(Date.UTC(2024, 0, 15, 12)).getHours()")
    assert environment == {"TZ": "America/New_York"}
    assert offset.value == 7  # the local time zone still reaches Date
