"""Node's built-in modules and the web globals in a run's context (bundles/node/), compiled only
into runs whose code names them.

A module is a CommonJS factory (a bundle of an npm package, or a `node_*.js` file of the sandbox's
own over one) that the registry (js/node.js) calls on its first `require`. The code's imports of
them (`import { createHash } from "node:crypto"`) are rewritten before it runs
(`imports.import_builtins`) into reads of the registry's global `__jsolve_node`: the engine's own
module loader cannot be given modules (every module of the binding is named `<input>`). What a
run gets is decided here from the text of its code and check (`named`): each module its imports
name, with the modules they require, and the globals it names (`Buffer`, `process`, `crypto`,
`structuredClone`, `AbortController`, ...).
"""

from __future__ import annotations

import functools
import json
import os
import re

import _quickjs as quickjs

from agent.sandbox.builtins import MODULES
from agent.sandbox.worker import bytecode

VIRTUAL_FOLDER = "/inputs"
"""The folder `fs` shows (and process.cwd()): the run's inputs as `<name>.json` (and `<name>.txt`
for a string), nothing else."""

FIRST_LINE = 100_001
"""The line the sandbox's modules start at in a run's context (the engine names every script
`<input>`, the code's name too): past any code's own lines, so that a stack frame in them is told
from the code's (errors.py leaves such frames out and places an error at the code's own line).
The blank lines before it cost about 0.15 ms to parse."""

_BUNDLED = ("buffer", "hashes", "path", "events", "util", "util_base", "util_inspect", "util_compare", "assert", "querystring",
            "string_decoder", "whatwg_url")
"""The registry's modules that are bundles of npm packages (bundles/node/<name>.js); what each
requires is in bundles/node/packages.json, written by the build. (util is a small module of
getters over its three parts.)"""

_OWN: dict[str, tuple[str, tuple[str, ...]]] = {
    "crypto": ("node_crypto.js", ("buffer", "hashes")),
    "fs": ("node_fs.js", ("buffer",)),
    "web": ("node_web.js", ()),
}
"""The registry's modules that are the sandbox's own files (js/), and the modules each requires.
`process`, `timers`, `os`, `url`, `random` and `registry` are js/node.js's own."""

_INNER: dict[str, tuple[str, ...]] = {"url": ("whatwg_url",)}
"""What js/node.js's own modules require of the others."""

_LATER = {name: f"bundles/node/{name}.js" for name in ("tr46",)}
"""Modules compiled only when first required, their source handed to the registry as a string:
IDNA (210 KB, for a host that is not ASCII). The others come from the worker's bytecode
(worker/bytecode.py), which is read about eight times faster than their source is parsed."""

_GLOBALS: dict[str, tuple[tuple[str, ...], str]] = {
    "Buffer": (("buffer",), 'require("buffer").Buffer'),
    "process": ((), 'require("process")'),
    "structuredClone": (("web",), 'require("web").structuredClone'),
    "EventTarget": (("web",), 'require("web").EventTarget'),
    "Event": (("web",), 'require("web").Event'),
    "CustomEvent": (("web",), 'require("web").CustomEvent'),
    "AbortController": (("web",), 'require("web").AbortController'),
    "AbortSignal": (("web",), 'require("web").AbortSignal'),
    "crypto": (("crypto",), 'require("crypto").webcrypto'),
    "setImmediate": ((), 'require("timers").setImmediate'),
    "URL": (("whatwg_url",), 'require("whatwg_url").URL'),
    "URLSearchParams": (("whatwg_url",), 'require("whatwg_url").URLSearchParams'),
    "clearImmediate": ((), 'require("timers").clearImmediate'),
    "global": ((), "globalThis"),
}
"""Node's globals the engine lacks: the modules each needs and how it is read from the registry.
Each is defined only when the code names it."""

_SPECIFIER = re.compile(r"""["'`](?:node:)?(""" + "|".join(sorted(map(re.escape, MODULES), key=len, reverse=True)) + r""")["'`]""")
_GLOBAL = re.compile(r"(?<![\w$'\"`:/-])(?:(?<=\.\.\.)|(?<!\.))(" + "|".join(_GLOBALS) + r")\b")
"""A global's name (`...Buffer` too), not a property's (`x.crypto`) nor a module's (`"node:crypto"`)."""
_JS = os.path.join(os.path.dirname(__file__), "js")


def _call(factory: str, args: str) -> str:
    """A script that calls a factory (engine._call, which this module cannot import: engine imports it)."""
    return "{ const factory = " + factory + ";\nfactory(" + args + "); }"


@functools.cache
def _sources() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every registry module that has a file: its path in js/ and the modules it requires."""
    built = json.loads(_source("bundles/node/packages.json"))["modules"]
    bundled = {name: (f"bundles/node/{name}.js", tuple(built[name]["requires"])) for name in _BUNDLED}
    return {**bundled, **_OWN}


@functools.cache
def _source(path: str) -> str:
    """A file of js/, read on first use and kept for the worker's life."""
    with open(os.path.join(_JS, path), encoding="utf-8") as file:
        return file.read()


def needed(named: str, network: bool = False) -> tuple[set[str], list[str], list[str]]:
    """The registry modules that `named` (the code and check) reaches, those of them that have a
    source (with what they require, in order), and the globals it names (URL with a network)."""
    wanted = {MODULES[found][0] for found in _SPECIFIER.findall(named)}
    found = set(_GLOBAL.findall(named))
    if network:  # fetch takes URLs
        found.update(("URL", "URLSearchParams"))
    globals_ = sorted(found)
    for name in globals_:
        wanted.update(_GLOBALS[name][0])
    for name in list(wanted):
        wanted.update(_INNER.get(name, ()))
    sources = _sources()
    closed: list[str] = []

    def visit(name: str) -> None:
        if name in closed or name not in sources:
            return
        for dep in sources[name][1]:
            visit(dep)
        closed.append(name)

    for name in sorted(wanted):
        visit(name)
    return wanted, closed, globals_


def script(named: str, seed: str, network: bool = False) -> str | None:
    """The script that puts the registry, the modules and the globals `named` reaches in place,
    or None when it reaches none. It runs after `factories` (the registry's maker and each
    module's factory, in `__jsolve_factories`, which it deletes); a module of `_LATER` is read
    from the global `__jsolve_later_<name>` (`install` sets it), which it deletes too."""
    return _script(needed(named, network), named, seed)


_PADDING = "\n" * (FIRST_LINE - 1)


@functools.cache
def factory_script(name: str) -> str:
    """The script that puts a module's factory (`$make`: the registry's maker, js/node.js) in
    `__jsolve_factories`, starting at FIRST_LINE: one text per module, compiled once per worker."""
    if name == "$make":
        return _PADDING + "globalThis.__jsolve_factories = { __proto__: null, $make: " + _source("node.js") + " };"
    return _PADDING + f"__jsolve_factories.{name} = " + _source(_sources()[name][0]) + ";"


def _script(plan: tuple[set[str], list[str], list[str]], named: str, seed: str) -> str | None:
    wanted, modules, globals_ = plan
    if not wanted and not globals_:
        return None
    args = ", ".join([
        "globalThis", json.dumps({name: list(target) for name, target in MODULES.items()}),
        json.dumps([f"node:{name}" for name in sorted(MODULES)]), json.dumps(seed), json.dumps(VIRTUAL_FOLDER), str(FIRST_LINE),
    ])
    parts = [_PADDING + "{ const F = globalThis.__jsolve_factories; delete globalThis.__jsolve_factories;\nconst registry = F.$make(" + args
             + ");\nconst require = registry.require;"]
    parts += [f"registry.define({json.dumps(name)}, F.{name});" for name in modules]
    parts += [f"registry.later({json.dumps(name)}, globalThis.__jsolve_later_{name}); delete globalThis.__jsolve_later_{name};"
              for name in _later(modules)]
    if "whatwg_url" in modules and "TextEncoder" not in named and "TextDecoder" not in named:
        parts.append(_call(_source("text.js"), "globalThis"))  # whatwg-url encodes with TextEncoder
    parts += [f"registry.global({json.dumps(name)}, () => {_GLOBALS[name][1]});" for name in globals_]
    if "process" in wanted or "process" in globals_:
        parts.append('require("process");')  # now: it orders the timers the code sets before it reads process (nextTick)
    parts.append("}")
    return "\n".join(parts)


def _later(modules: list[str]) -> list[str]:
    """The modules of `_LATER` that `modules` require."""
    sources = _sources()
    return sorted({dep for name in modules for dep in sources[name][1] if dep in _LATER})


def install(ctx: quickjs.Context, named: str, network: bool = False) -> None:
    """Put in place the built-ins the code and check (`named`) can reach (and URL, with a network)."""
    plan = needed(named, network)
    if (text := _script(plan, named, os.urandom(32).hex())) is None:
        return
    _, modules, globals_ = plan
    try:
        for name in ["$make", *modules]:
            bytecode.evaluate(ctx, factory_script(name))
        for name in _later(modules):
            ctx.set(f"__jsolve_later_{name}", _source(_LATER[name]))
        ctx.eval(text)
    except (quickjs.JSException, MemoryError):
        # The modules do not fit in the run's memory: every use of them is the engine's
        # out-of-memory error, which the run reports as its `memory` failure.
        ctx.eval(_UNFIT.replace("NAMES", json.dumps(globals_)).replace("LATER", json.dumps([f"__jsolve_later_{name}" for name in _LATER])))


_UNFIT = """{ const unfit = () => { throw new InternalError("out of memory"); };
Object.defineProperty(unfit, "load", { value: async () => unfit() });
Object.defineProperty(globalThis, "__jsolve_node", { value: unfit, configurable: true });
for (const name of NAMES) Object.defineProperty(globalThis, name, { get: unfit, set: unfit, configurable: true });
for (const name of LATER) delete globalThis[name];
delete globalThis.__jsolve_factories; }"""
"""The stand-in for the modules when they do not fit the run's memory."""
