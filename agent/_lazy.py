"""Names a package exports without importing them until first use: `import agent.sandbox.worker`
(a sandbox worker) and `jsolve run` must not pay for the model side they never touch."""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> None:
    """Make the package `package` export each name of `exports` from its module (a dotted path),
    imported on first access. A submodule of the same name as an export (`agent.solve`, the
    module of `agent.solve`, the function) never replaces the export when it is imported."""
    module = sys.modules[package]
    module.__class__ = type("LazyPackage", (_LazyPackage,), {"_exports": exports})


class _LazyPackage(types.ModuleType):
    _exports: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        source = self._exports.get(name)
        if source is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        super().__setattr__(name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # The import system sets a package's attribute to each submodule it loads.
        if isinstance(value, types.ModuleType) and self._exports.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)
