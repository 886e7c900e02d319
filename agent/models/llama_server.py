"""The child process that serves a GGUF model with llama.cpp (xllamacpp) on loopback.

Started by `agent.models.local.LocalServer` as a script, by path, so that it imports only the
standard library and xllamacpp (not jsolve and pydantic-ai). It runs in its own process because
`xllamacpp.Server(...)` loads the model while holding the GIL: in the caller's process that
would freeze every thread (progress display, event loop, Ctrl-C) for the whole load.

Protocol: one JSON line on stdin with the settings; one JSON line on stdout, either
`{"base_url": "http://127.0.0.1:PORT"}` once the model is loaded and the server listens, or
`{"error": "..."}`. After that the child serves until its stdin reaches end of file, which
happens when the parent closes it or dies in any way (the kernel closes the parent's end), and
then exits. Ctrl-C in the terminal is ignored here: stopping the server is the parent's call.
llama.cpp logs errors (only) to stderr, where the parent reads the reason of a failed load.
"""

from __future__ import annotations

import json
import os
import signal
import sys


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this process when the parent thread that started it ends."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    reply = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything the C++ side prints goes to stderr, never into the protocol
    settings = json.loads(sys.stdin.readline())
    if settings.get("die_with_parent"):
        _die_with_parent(settings["parent"])

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = settings["model"]
    params.model_alias = {settings["alias"]}
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # the server binds a free port and reports it: no race for the port
    params.api_keys = [settings["api_key"]]
    params.n_ctx = settings["context"]
    params.n_parallel = settings["slots"]
    params.kv_unified = True  # the slots share the whole context, rather than a slice each
    params.cpuparams.n_threads = settings["threads"]
    params.cpuparams_batch.n_threads = settings["threads"]
    params.cache_ram_mib = settings["prompt_cache_mib"]
    params.fit_params = False  # fits layers to GPU memory; on a CPU it loads the model twice
    params.warmup = False
    params.ui = False
    params.slot_save_path = settings.get("slot_save_path", "")
    params.endpoint_slots = bool(params.slot_save_path)  # saving and restoring a slot's KV state needs the slots endpoint
    params.endpoint_metrics = False
    params.verbosity = 1  # errors only
    try:
        server = xllamacpp.Server(params)
    except (RuntimeError, ValueError) as exc:
        reply.write(json.dumps({"error": str(exc)}) + "\n")
        reply.flush()
        os._exit(1)
    try:
        reply.write(json.dumps({"base_url": server.listening_address}) + "\n")
        reply.flush()
    except BrokenPipeError:  # the parent is gone
        os._exit(0)
    while sys.stdin.buffer.read(65536):
        pass
    os._exit(0)  # the server's threads end with the process; no teardown needed


if __name__ == "__main__":
    main()
