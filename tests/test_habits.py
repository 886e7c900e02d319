"""The habits CI holds the code to: ruff's lint rules, mypy in strict mode, and the layers of the
package (an import-linter contract), all as configured in pyproject.toml."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = os.path.join(os.path.dirname(sys.executable), name)
    return subprocess.run([command, *args], cwd=REPOSITORY, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    done = tool("ruff", "check", "agent", "tests", "bench")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_finds_nothing():
    done = tool("mypy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_layers_import_only_downwards():
    done = tool("lint-imports")
    assert done.returncode == 0, done.stdout + done.stderr
