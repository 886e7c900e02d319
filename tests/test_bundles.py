"""The committed JavaScript bundles are what js/build.mjs builds from js/package-lock.json.

The fast checks run offline: every committed file's SHA-256 against the build's manifest, and the
manifest's package versions against the lockfile. The rebuild (npm ci and esbuild, a minute and the
npm registry) runs only with JSOLVE_REBUILD_BUNDLES=1."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLES = ROOT / "agent" / "sandbox" / "worker" / "js" / "bundles"
MANIFEST = BUNDLES / "manifest.json"
LOCKFILE = ROOT / "js" / "package-lock.json"


def _manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def _committed() -> dict[str, bytes]:
    return {path.relative_to(BUNDLES).as_posix(): path.read_bytes()
            for path in sorted(BUNDLES.rglob("*")) if path.is_file() and path != MANIFEST}


def test_committed_files_match_the_manifest() -> None:
    files = _manifest()["files"]
    committed = _committed()
    assert sorted(committed) == sorted(files), "files added to or missing from the bundles folder"
    for path, data in committed.items():
        assert hashlib.sha256(data).hexdigest() == files[path]["sha256"], f"{path} differs from the build"
        assert len(data) == files[path]["bytes"]


def test_manifest_versions_are_the_locked_ones() -> None:
    locked = json.loads(LOCKFILE.read_text(encoding="utf-8"))["packages"]
    for name, version in _manifest()["packages"].items():
        assert locked[f"node_modules/{name}"]["version"] == version, name


def test_every_locked_dependency_is_pinned_exactly() -> None:
    package = json.loads((ROOT / "js" / "package.json").read_text(encoding="utf-8"))
    for name, spec in {**package["dependencies"], **package["devDependencies"]}.items():
        assert spec[0].isdigit(), f"{name} is not pinned to one version: {spec}"


def test_bundles_name_their_sources_and_licenses() -> None:
    licenses = (BUNDLES / "LICENSES.txt").read_text(encoding="utf-8")
    for name, version in _manifest()["packages"].items():
        if name != "esbuild":  # a build tool: nothing of it is in the output
            assert f"{name}@{version}" in licenses
    for path in _manifest()["files"]:
        if path.endswith(".js"):
            assert (BUNDLES / path).read_text(encoding="utf-8").startswith("/* Built by js/build.mjs from ")


@pytest.mark.skipif(os.environ.get("JSOLVE_REBUILD_BUNDLES") != "1", reason="set JSOLVE_REBUILD_BUNDLES=1 to rebuild with npm and compare bytes")
@pytest.mark.timeout(600)
def test_rebuild_gives_the_committed_bytes(tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to rebuild the bundles")
    before = _committed() | {"manifest.json": MANIFEST.read_bytes()}
    try:
        subprocess.run(["python", str(ROOT / "js" / "build.py")], check=True, cwd=ROOT)
        after = _committed() | {"manifest.json": MANIFEST.read_bytes()}
        assert sorted(after) == sorted(before)
        different = [path for path in before if before[path] != after[path]]
        assert not different, f"the build gives other bytes for {different}"
    finally:
        _restore(before)


def _restore(files: dict[str, bytes]) -> None:
    """Put the committed bytes back, whatever the rebuild wrote."""
    shutil.rmtree(BUNDLES)
    for path, data in files.items():
        (BUNDLES / path).parent.mkdir(parents=True, exist_ok=True)
        (BUNDLES / path).write_bytes(data)
