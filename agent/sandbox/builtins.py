"""Node's built-in modules the sandbox has, by the specifiers code imports them with: read by the
pre-run check on the host (agent.core.validate) and by the worker (agent.sandbox.worker.node),
which compiles them. Standard library only: the worker imports it."""

from __future__ import annotations

__all__ = ["HTTP_CLIENTS", "MODULES", "unknown_module"]

MODULES: dict[str, tuple[str, str | None]] = {
    "assert": ("assert", None), "assert/strict": ("assert", "strict"),
    "buffer": ("buffer", None),
    "crypto": ("crypto", None),
    "events": ("events", None),
    "fs": ("fs", None), "fs/promises": ("fs", "promises"),
    "os": ("os", None),
    "path": ("path", None), "path/posix": ("path", "posix"), "path/win32": ("path", "win32"),
    "process": ("process", None),
    "querystring": ("querystring", None),
    "string_decoder": ("string_decoder", None),
    "timers": ("timers", None), "timers/promises": ("timers", "promises"),
    "url": ("url", None),
    "util": ("util", None), "util/types": ("util", "types"),
}
"""The built-ins code can import, as `node:X` or `X`: the specifier -> the registry's module and
the export of it that the specifier names (None: the module itself). Anything else is a `policy`
failure naming these."""


HTTP_CLIENTS = frozenset(["fetch", "http", "https", "http2", "undici", "node-fetch", "axios", "got", "cross-fetch", "isomorphic-fetch",
                          "whatwg-fetch", "unfetch", "ky", "superagent", "request", "needle"])
"""Modules code imports to make requests (`node:fetch` too, which node does not have either):
their refusal says what to use instead (the global `fetch`, when the run has a network), since
the list of built-ins names none of them."""


def unknown_module(module: str, *, network: bool | None = None) -> str:
    """The message of an import of a module that is not in the sandbox; `network`, when known,
    tells a request library's import what to use instead."""
    if network is not None and module.removeprefix("node:") in HTTP_CLIENTS:
        return (f"the sandbox has no module {module!r}: " + ("`fetch` is a global here, call `await fetch(url)` without importing anything"
                                                            if network else "the network is off for this task"))
    return (f"the sandbox has no module {module!r}: its modules are Node's built-ins "
            f"{', '.join(sorted(MODULES))} (as node:X or X), and the run's inputs and tools (jsolve:inputs, jsolve:tools); "
            "write the rest yourself")
