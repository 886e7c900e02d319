"""The worker's compiled bundles: each bundle script is parsed once per worker, and every later run
reads its bytecode into the run's fresh context instead of parsing it again.

QuickJS parses source at 10-30 KB/ms, so the bundles a first use of Intl or of a Node built-in
needs (up to 700 KB) cost tens of milliseconds in every run; reading the same script as bytecode
is about eight times faster. The Python binding exposes neither compiling nor reading bytecode,
so this module calls the engine's own C API (`JS_Eval` with `JS_EVAL_FLAG_COMPILE_ONLY`,
`JS_WriteObject`, `JS_ReadObject`, `JS_EvalFunction`), which the binding's library exports, on
the context the binding made, whose `JSContext *` it reads from the binding's object. The layout
and the calls are checked once per worker on a context of their own: when anything differs (another
binding version), every bundle is evaluated as source, as before.

Only the sandbox's own bundle files go through here, never code or data from a run: the engine
reads bytecode without verifying it, so it must come from this process's own compilation."""

from __future__ import annotations

import ctypes
import functools
from typing import Any

import _quickjs as quickjs

_COMPILE_ONLY = 1 << 5
"""JS_EVAL_FLAG_COMPILE_ONLY (global code, JS_EVAL_TYPE_GLOBAL = 0)."""

_BYTECODE = 1 << 0
"""JS_WRITE_OBJ_BYTECODE and JS_READ_OBJ_BYTECODE: functions may be written and read."""

_TAG_INT, _TAG_EXCEPTION = 0, 6
"""JS_TAG_INT and JS_TAG_EXCEPTION."""

_FILENAME = b"<input>"
"""The file name the binding compiles with, so that stacks read the same either way."""


class _JSValue(ctypes.Structure):
    """A JSValue as the 64-bit engine passes it: a union of 8 bytes and a tag."""

    _fields_ = [("u", ctypes.c_uint64), ("tag", ctypes.c_int64)]


class _Engine:
    """The engine's C functions, typed. PyDLL: the GIL stays held, as the bundles call no Python."""

    def __init__(self) -> None:
        lib = ctypes.PyDLL(quickjs.__file__)
        vp, size = ctypes.c_void_p, ctypes.c_size_t
        self._signature(lib.JS_Eval, _JSValue, vp, ctypes.c_char_p, size, ctypes.c_char_p, ctypes.c_int)
        self._signature(lib.JS_WriteObject, ctypes.POINTER(ctypes.c_uint8), vp, ctypes.POINTER(size), _JSValue, ctypes.c_int)
        self._signature(lib.JS_ReadObject, _JSValue, vp, ctypes.c_char_p, size, ctypes.c_int)
        self._signature(lib.JS_EvalFunction, _JSValue, vp, _JSValue)
        self._signature(lib.JS_FreeValue, None, vp, _JSValue)
        self._signature(lib.JS_GetException, _JSValue, vp)
        self._signature(lib.JS_ToCStringLen2, ctypes.c_void_p, vp, ctypes.POINTER(size), _JSValue, ctypes.c_int)
        self._signature(lib.JS_FreeCString, None, vp, ctypes.c_void_p)
        self._signature(lib.JS_GetRuntime, vp, vp)
        self._signature(lib.JS_UpdateStackTop, None, vp)
        self._signature(lib.js_free, None, vp, vp)
        self.lib = lib

    @staticmethod
    def _signature(function: Any, restype: Any, *argtypes: Any) -> None:
        function.restype, function.argtypes = restype, list(argtypes)

    @staticmethod
    def pointers(ctx: quickjs.Context) -> tuple[int, int]:
        """The JSRuntime * and JSContext * of a binding's context: the two pointers after the
        object's header (the binding's RuntimeData)."""
        header = object.__basicsize__
        runtime = ctypes.c_void_p.from_address(id(ctx) + header).value or 0
        context = ctypes.c_void_p.from_address(id(ctx) + header + ctypes.sizeof(ctypes.c_void_p)).value or 0
        return runtime, context

    def context(self, ctx: quickjs.Context) -> int:
        """The JSContext * of `ctx`, with the runtime's stack top set as the binding sets it."""
        runtime, context = self.pointers(ctx)
        self.lib.JS_UpdateStackTop(runtime)
        return context

    def compile(self, context: int, source: bytes) -> bytes:
        """The bytecode of `source` as a global script."""
        function = self._checked(context, self.lib.JS_Eval(context, source, len(source) - 1, _FILENAME, _COMPILE_ONLY))
        size = ctypes.c_size_t()
        buffer = self.lib.JS_WriteObject(context, ctypes.byref(size), function, _BYTECODE)
        self.lib.JS_FreeValue(context, function)
        if not buffer:
            raise quickjs.JSException("InternalError: out of memory")
        try:
            return ctypes.string_at(buffer, size.value)
        finally:
            self.lib.js_free(context, buffer)

    def run(self, context: int, code: bytes) -> _JSValue:
        """Read `code` and run it; the script's value, which the caller frees."""
        function = self._checked(context, self.lib.JS_ReadObject(context, code, len(code), _BYTECODE))
        return self._checked(context, self.lib.JS_EvalFunction(context, function))

    def _checked(self, context: int, value: _JSValue) -> _JSValue:
        """`value`, or the pending exception raised as the binding raises it."""
        if value.tag != _TAG_EXCEPTION:
            return value
        exception = self.lib.JS_GetException(context)
        text = self.lib.JS_ToCStringLen2(context, None, exception, 0)
        message = ctypes.string_at(text).decode("utf-8", "replace") if text else "(no message)"
        if text:
            self.lib.JS_FreeCString(context, text)
        self.lib.JS_FreeValue(context, exception)
        if "stack overflow" in message:
            raise quickjs.StackOverflow(message)
        raise quickjs.JSException(message)


@functools.cache
def _engine() -> _Engine | None:
    """The engine's C API when this binding is laid out as expected and a compiled script runs in
    another context with its value; None otherwise (every bundle is then evaluated as source)."""
    try:
        engine = _Engine()
        first, second = quickjs.Context(), quickjs.Context()
        runtime, context = engine.pointers(first)
        if not runtime or engine.lib.JS_GetRuntime(context) != runtime:
            return None
        code = engine.compile(engine.context(first), b"6 * 7\0")
        target = engine.context(second)
        value = engine.run(target, code)
        engine.lib.JS_FreeValue(target, value)
        if (value.tag, value.u & 0xFFFFFFFF) != (_TAG_INT, 42):
            return None
        return engine
    except (AttributeError, OSError, ValueError, quickjs.JSException):
        return None


_compiled: dict[str, bytes] = {}
"""Bytecode by source text: a bundle's source is one cached string, whose hash Python keeps."""


def evaluate(ctx: quickjs.Context, source: str) -> None:
    """Run the bundle script `source` in `ctx`, from this worker's bytecode of it when the engine's
    API is reachable (compiled in `ctx` the first time), else as source."""
    engine = _engine()
    if engine is None:
        ctx.eval(source)
        return
    context = engine.context(ctx)
    code = _compiled.get(source)
    if code is None:
        code = _compiled[source] = engine.compile(context, source.encode("utf-8") + b"\0")
    engine.lib.JS_FreeValue(context, engine.run(context, code))


def available() -> bool:
    """Whether bundles run from bytecode in this process."""
    return _engine() is not None
