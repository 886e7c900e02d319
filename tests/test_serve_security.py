"""What `jsolve serve`'s state file and the saved prompt prefix may be trusted with: real
processes standing for the server (a reused pid, a port taken by another), a real loopback
server that is not the recorded one, FIFOs, other users' files and files others may write."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent.models.saved_prefix import NotPrivate
from agent.models.served import Served, _write, find_served, model_key
from tests.test_kv_prefix import SlotServer, saved

OTHER_UID = 54321
"""A user id that is not the one running the tests."""

NO_MODEL = "/nonexistent/jsolve-test/model.gguf"
"""The `gguf:` model the solves below ask for: with no usable `jsolve serve` of it, the solve
tries to start its own server and stops at once (no such file), so it answers nothing."""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("JSOLVE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def processes():
    """Start processes that live until killed (standing for a `jsolve serve` or an unrelated
    program); all are killed at the end."""
    started: list[subprocess.Popen] = []

    def start(code: str = "import time\nwhile True: time.sleep(1)") -> subprocess.Popen:
        started.append(subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


class Listener:
    """An HTTP server on loopback (port 0: any free one) that answers everything with 200, as any
    program on a port could, and records each request's method, path and Authorization."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[tuple[str, str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.answer()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.answer()

            def answer(self) -> None:
                outer.requests.append((self.command, self.path, self.headers.get("Authorization")))
                body = b'{"status": "ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def environment(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_"))}
    return {**env, "JSOLVE_CACHE_DIR": str(cache), "COLUMNS": "200"}


def jsolve(cache: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True, env=environment(cache),
                          timeout=timeout, check=False)


def solve(cache: Path) -> subprocess.CompletedProcess[str]:
    return jsolve(cache, "solve", "Six times seven.", "--output", "int", "--model", f"gguf:{NO_MODEL}", timeout=120)


def finishes(call: Callable[[], object], unblock: Path | None = None, seconds: float = 10.0) -> object:
    """`call()`'s result, failing the test when it has not returned within `seconds` (a read that
    waits on a FIFO); then `unblock`, a FIFO, is opened for writing so that the stuck thread ends."""
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        if unblock is not None:
            os.close(os.open(unblock, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"still waiting after {seconds:.0f} s (on a FIFO)")
    return result[0] if result else None


# -- jsolve serve's state file ------------------------------------------------------------------


def test_stop_leaves_alone_a_process_that_got_the_pid_of_the_serve_that_wrote_the_file(cache, processes):
    gone = processes()
    state = _write(Served(pid=gone.pid, model="embedded", name="m", base_url="http://127.0.0.1:9/v1", api_key="k", server_pid=gone.pid))
    gone.kill()
    gone.wait()
    time.sleep(0.1)  # start times count in clock ticks (10 ms); a pid comes back only after the others are used
    unrelated = processes()
    record = json.loads(state.read_text())
    state.write_text(json.dumps({**record, "pid": unrelated.pid, "server_pid": unrelated.pid}))  # its pid, reused

    done = jsolve(cache, "serve", "--stop")
    assert done.returncode == 0 and "no jsolve serve is running" in done.stdout, done.stderr
    time.sleep(0.5)
    assert unrelated.poll() is None  # no SIGTERM reached it
    assert not state.exists()  # the stale file is gone


def test_a_solve_sends_nothing_to_whoever_took_the_port_of_a_server_that_ended(cache, processes, tmp_path):
    serve = processes()
    (tmp_path / "health").write_text("ok")
    llama = processes("import functools, http.server as h\n"  # answers /health with 200, from a process of its own
                      f"handler = functools.partial(h.SimpleHTTPRequestHandler, directory={str(tmp_path)!r})\n"
                      "s = h.HTTPServer(('127.0.0.1', 0), handler)\n"
                      "print(s.server_address[1], flush=True)\n"
                      "s.serve_forever()")
    port = int(llama.stdout.readline())
    _write(Served(pid=serve.pid, model=model_key(NO_MODEL), name="m", base_url=f"http://127.0.0.1:{port}/v1", api_key="the-key",
                  server_pid=llama.pid))
    assert find_served(NO_MODEL) is not None  # the recorded server process, holding its port: used
    llama.kill()
    llama.wait()
    foreign = Listener(port)  # the freed port, bound by another program
    try:
        done = solve(cache)
        assert [r for r in foreign.requests if r[0] == "POST"] == [] and all(auth is None for *_, auth in foreign.requests)
        assert done.returncode == 2 and "no model file" in done.stderr, done.stderr  # it went on without the served model
    finally:
        foreign.close()


def test_a_solve_sends_nothing_to_a_server_that_is_not_the_recorded_process_on_its_port(cache, processes):
    serve = processes()
    foreign = Listener()  # in this process: not the recorded server process
    try:
        _write(Served(pid=serve.pid, model=model_key(NO_MODEL), name="m", base_url=foreign.base_url, api_key="the-key",
                      server_pid=os.getpid()))
        assert find_served(NO_MODEL) is not None  # while the recorded process holds the port, it is used
        _write(Served(pid=serve.pid, model=model_key(NO_MODEL), name="m", base_url=foreign.base_url, api_key="the-key",
                      server_pid=serve.pid))
        foreign.requests.clear()
        done = solve(cache)
        assert [r for r in foreign.requests if r[0] == "POST"] == [] and all(auth is None for *_, auth in foreign.requests)
        assert done.returncode == 2 and "no model file" in done.stderr, done.stderr
    finally:
        foreign.close()


@pytest.mark.parametrize("damage", ["group-writable", "others-writable", "another user's", "symbolic link", "FIFO"])
def test_a_state_file_others_could_have_written_is_refused(cache, processes, tmp_path, damage):
    serve = processes()
    provider = Listener()
    try:
        state = _write(Served(pid=serve.pid, model="embedded", name="m", base_url=provider.base_url, api_key="k",
                              server_pid=os.getpid()))
        assert find_served() is not None  # as written: trusted
        if damage == "group-writable":
            state.chmod(0o620)
        elif damage == "others-writable":
            state.chmod(0o602)
        elif damage == "another user's":
            os.chown(state, OTHER_UID, -1)
        elif damage == "symbolic link":
            elsewhere = tmp_path / "planted.json"
            state.rename(elsewhere)
            state.symlink_to(elsewhere)
        else:
            state.unlink()
            os.mkfifo(state, 0o600)
        provider.requests.clear()
        assert finishes(find_served, unblock=state if damage == "FIFO" else None) is None
        assert provider.requests == []

        done = jsolve(cache, "serve", "--stop", timeout=30)
        assert done.returncode == 2 and "state file is not to be trusted" in done.stderr and str(state) in done.stderr, done.stderr
        time.sleep(0.2)
        assert serve.poll() is None  # not signalled
    finally:
        provider.close()


def test_stop_still_stops_the_serve_that_wrote_the_file(cache, processes):
    serve = processes()
    _write(Served(pid=serve.pid, model="embedded", name="m", base_url="http://127.0.0.1:9/v1", api_key="k", server_pid=serve.pid))
    done = jsolve(cache, "serve", "--stop")
    assert done.returncode == 0 and f"stopped jsolve serve (process {serve.pid})" in done.stdout, done.stderr
    assert serve.wait(10) == -signal.SIGTERM


# -- the saved prompt prefix --------------------------------------------------------------------


@pytest.fixture
def slot_servers(tmp_path):
    started: list[SlotServer] = []

    def start() -> SlotServer:
        started.append(SlotServer(tmp_path))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.mark.parametrize("planted", ["state", "record"])
def test_a_fifo_planted_in_place_of_the_saved_prefix_does_not_hang_a_start(tmp_path, slot_servers, planted):
    prefix = saved(tmp_path)
    prefix.prepare(slot_servers().url, "key")
    target = prefix.state if planted == "state" else prefix.record
    if planted == "state":  # a record that matches an empty file: only reading the FIFO tells it apart
        record = json.loads(prefix.record.read_text())
        prefix.record.write_text(json.dumps({**record, "bytes": 0, "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}))
    target.unlink()
    os.mkfifo(target, 0o600)
    server = slot_servers()
    assert finishes(lambda: prefix.prepare(server.url, "key"), unblock=target) == "saved"
    assert server.kinds() == ["chat", "save"]  # built again, nothing offered to restore
    assert prefix.state.is_file() and prefix.record.is_file()


@pytest.mark.parametrize("damage", ["state others-writable", "record group-writable", "state another user's",
                                    "record another user's", "state a symbolic link"])
def test_a_planted_or_exposed_state_is_built_again_not_restored(tmp_path, slot_servers, damage):
    prefix = saved(tmp_path)
    prefix.prepare(slot_servers().url, "key")
    which, what = damage.split(" ", 1)
    target = prefix.state if which == "state" else prefix.record
    if what == "others-writable":
        target.chmod(0o602)
    elif what == "group-writable":
        target.chmod(0o620)
    elif what == "another user's":
        os.chown(target, OTHER_UID, -1)
    else:
        elsewhere = tmp_path.parent / f"{tmp_path.name}-planted.bin"
        target.rename(elsewhere)
        target.symlink_to(elsewhere)
    server = slot_servers()
    assert prefix.prepare(server.url, "key") == "saved"
    assert server.kinds() == ["chat", "save"]  # the pair was not offered to the server
    assert prefix.state.stat().st_mode & 0o777 == 0o600 and prefix.record.stat().st_mode & 0o777 == 0o600
    assert not prefix.state.is_symlink()
    again = slot_servers()
    assert prefix.prepare(again.url, "key") == "restored" and again.kinds() == ["restore"]  # the rebuilt pair is trusted


def test_a_prefix_folder_of_another_user_is_not_used(tmp_path, slot_servers):
    prefix = saved(tmp_path)
    prefix.prepare(slot_servers().url, "key")
    os.chown(tmp_path, OTHER_UID, -1)
    server = slot_servers()
    with pytest.raises(NotPrivate, match="owned by user"):
        prefix.prepare(server.url, "key")
    assert server.calls == []  # nothing restored from (or saved to) a folder another user controls


def test_the_prefix_folder_is_created_private(tmp_path):
    folder = tmp_path / "kv"
    server = SlotServer(folder)
    try:
        assert saved(folder).prepare(server.url, "key") == "saved"
    finally:
        server.close()
    assert folder.stat().st_mode & 0o777 == 0o700
