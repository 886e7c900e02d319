"""Build the sandbox's JavaScript bundles: `python js/build.py`.

Installs the pinned packages of js/package-lock.json (`npm ci`, from the npm registry) and runs
js/build.mjs, which writes agent/sandbox/worker/js/bundles/ and its manifest.json. Needs node and
npm; nothing is fetched when jsolve is installed or run. tests/test_bundles.py checks that the
committed bundles are what this builds (JSOLVE_REBUILD_BUNDLES=1 rebuilds and compares bytes)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(f"{name} is not on PATH: the bundles are built with node and npm")
    return path


def main() -> None:
    subprocess.run([_tool("npm"), "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)
    subprocess.run([_tool("node"), str(HERE / "build.mjs")], cwd=HERE, check=True)


if __name__ == "__main__":
    main()
