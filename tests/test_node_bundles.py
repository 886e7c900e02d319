"""The bundles of Node's built-ins (agent/sandbox/worker/js/bundles/node/, built by js/node.mjs):
their packages are the locked ones and named with their licenses, each bundle's requires are
modules the worker compiles with it, and every module the worker offers has its source."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agent.sandbox.worker import node

ROOT = Path(__file__).resolve().parent.parent
NODE_BUNDLES = ROOT / "agent" / "sandbox" / "worker" / "js" / "bundles" / "node"
LOCKFILE = ROOT / "js" / "package-lock.json"


def _packages() -> dict:
    return json.loads((NODE_BUNDLES / "packages.json").read_text(encoding="utf-8"))


def test_bundled_packages_are_the_locked_versions_and_carry_their_licenses() -> None:
    locked = json.loads(LOCKFILE.read_text(encoding="utf-8"))["packages"]
    licenses = (NODE_BUNDLES / "LICENSES.txt").read_text(encoding="utf-8")
    for name, version in _packages()["packages"].items():
        assert locked[f"node_modules/{name}"]["version"] == version, name
        assert f"{name}@{version}" in licenses, name


def test_each_bundle_names_its_packages_and_is_one_factory() -> None:
    for name in _packages()["modules"]:
        text = (NODE_BUNDLES / f"{name}.js").read_text(encoding="utf-8")
        assert text.startswith("/* Built by js/build.mjs from ") and "\nfunction (module, exports, require, process) {\n" in text


def test_every_require_of_a_bundle_is_a_module_the_worker_has() -> None:
    sources = node._sources()
    for name, module in _packages()["modules"].items():
        for required in module["requires"]:
            assert required in sources or required in node._LATER, (name, required)
        text = (NODE_BUNDLES / f"{name}.js").read_text(encoding="utf-8")
        # what the bundle's code requires at run time is what the build recorded
        assert set(re.findall(r'\brequire\("([^"]+)"\)', text)) <= set(module["requires"]), name


def test_every_importable_module_resolves_in_a_run(sandbox) -> None:  # type: ignore[no-untyped-def]
    names = sorted(node.MODULES)
    code = "\n".join(f'import * as m{i} from "node:{name}";' for i, name in enumerate(names))
    code += "\nexport default [" + ", ".join(f"Object.keys(m{i}).length > 1" for i in range(len(names))) + "];"
    result = sandbox.run(code)
    assert result.ok, result.error
    assert result.value == [True] * len(names)
