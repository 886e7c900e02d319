"""Names JavaScript code gives meaning to, which a name the caller chooses (an input's, a tool's)
must not take: one list for the inputs (agent.sandbox.inputs) and the tools (agent.tools.registry)."""

from __future__ import annotations

__all__ = ["GLOBALS", "RESERVED"]

RESERVED = frozenset(["await", "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "implements", "import", "in", "instanceof", "interface", "let", "new", "null", "package", "private", "protected", "public", "return", "static", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "arguments", "eval"])
"""Words that cannot name a global or an imported binding (reserved, or restricted in strict mode)."""

GLOBALS = frozenset(["Object", "Function", "Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError", "InternalError", "AggregateError", "SuppressedError", "Iterator", "Array", "parseInt", "parseFloat", "isNaN", "isFinite", "queueMicrotask", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "unescape", "Infinity", "NaN", "undefined", "eval", "Number", "Boolean", "String", "Math", "Reflect", "Symbol", "DisposableStack", "globalThis", "BigInt", "Date", "RegExp", "JSON", "Proxy", "Map", "Set", "WeakMap", "WeakSet", "ArrayBuffer", "SharedArrayBuffer", "Uint8ClampedArray", "Int8Array", "Uint8Array", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array", "Float16Array", "Float32Array", "Float64Array", "DataView", "Atomics", "Promise", "AsyncDisposableStack", "WeakRef", "FinalizationRegistry", "DOMException", "btoa", "atob", "performance", "console", "setTimeout", "setInterval", "clearInterval", "clearTimeout", "URL", "URLSearchParams", "TextEncoder", "TextDecoder", "fetch", "window", "self", "global", "document", "navigator", "location", "process", "require", "module", "exports", "Buffer", "Intl", "structuredClone", "Headers", "Request", "Response", "AbortController", "AbortSignal", "Blob", "FormData",
                     "EventTarget", "Event", "CustomEvent", "crypto", "setImmediate", "clearImmediate"])
"""The sandbox's globals (a test keeps this in step with a fresh context), and the platform globals
code written for Node.js or a browser expects: an input or a tool of one of these names would hide it."""
