"""Tools named on a command line: `--tools shop_api.py` or `--tools mymod:TOOLS`.

Loading a file or a module *runs it*, in the caller's process, with the caller's rights: that is
what naming one asks for (the functions are the caller's own code, and they run where the caller
runs them). The sandboxed programs never see the module, only the tools' JSON.

- `FILE.py`: the file's `TOOLS` (a list, or anything `Tools.of` takes) when it defines one, else
  its public functions: those defined in the file itself, whose name does not start with `_`
  (imported helpers are not tools).
- `module:attr`: the attribute of an importable module (the working folder is searched first,
  as `python -m` does): a function, a list of tools, a `pydantic_ai.Tool` or a toolset.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from agent.errors import UsageError

__all__ = ["TOOLS_ATTRIBUTE", "load_tools"]

TOOLS_ATTRIBUTE = "TOOLS"
"""The name a tools file gives the list of its tools when not all its public functions are tools."""

_MODULE_NAME = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*\Z")


def load_tools(spec: str) -> Any:
    """What `spec` (`FILE.py` or `module:attr`) gives as tools: something `Tools.of` takes."""
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        return _from_file(Path(spec))
    module_name, sep, attribute = spec.partition(":")
    if not sep or not _MODULE_NAME.match(module_name) or not attribute:
        raise UsageError(f"--tools {spec!r}: give a Python file (shop_api.py) or an importable module and attribute (mymod:TOOLS)")
    module = _import(module_name, spec)
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise UsageError(f"--tools {spec!r}: {module_name} has no attribute {attribute!r}")
        value = getattr(value, part)
    if isinstance(value, ModuleType | type):
        raise UsageError(f"--tools {spec!r} is a {type(value).__name__}, not a function, a list of tools or a toolset")
    return value


def _from_file(path: Path) -> Any:
    if not path.is_file():
        raise UsageError(f"--tools {path}: no such file")
    if path.suffix != ".py":
        raise UsageError(f"--tools {path}: a tools file is a Python file (.py)")
    stem = re.sub(r"\W", "_", path.stem)
    name = f"jsolve_tools_{stem}_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise UsageError(f"--tools {path}: cannot load it as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pydantic models look their module up while the file runs
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[name]
        raise UsageError(f"--tools {path}: loading it raised {type(error).__name__}: {error}") from error
    if hasattr(module, TOOLS_ATTRIBUTE):
        return getattr(module, TOOLS_ATTRIBUTE)
    functions = [value for key, value in vars(module).items()
                 if not key.startswith("_") and inspect.isfunction(value) and value.__module__ == name]
    if not functions:
        raise UsageError(f"--tools {path}: the file defines no public function and no {TOOLS_ATTRIBUTE} list")
    return functions


def _import(module_name: str, spec: str) -> ModuleType:
    added = str(Path.cwd())
    remove = added not in sys.path
    if remove:
        sys.path.insert(0, added)
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise UsageError(f"--tools {spec!r}: cannot import {module_name}: {error}") from error
    except Exception as error:
        raise UsageError(f"--tools {spec!r}: importing {module_name} raised {type(error).__name__}: {error}") from error
    finally:
        if remove and added in sys.path:
            sys.path.remove(added)
