"""`jsolve serve`: other processes find a running server through its state file and use it; a
stale state file is ignored; `--stop` stops it. A scripted OpenAI-compatible server stands in
for llama.cpp, and the real embedded model is served where the `local` extra is installed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time

import pytest

from agent.models import local as local_model
from agent.models.served import STATE_FILE, Served, _write, find_served, model_key
from tests.fake_provider import FakeProvider
from tests.scripted import fenced


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JSOLVE_CACHE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def stand_in():
    """A process that lives until killed, standing for a `jsolve serve` process."""
    process = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(1)"])
    yield process
    process.kill()
    process.wait()


def environment(cache) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_"))}
    return {**env, "JSOLVE_CACHE_DIR": str(cache), "COLUMNS": "200"}


def test_a_running_server_is_found_and_used_by_another_process(cache, stand_in):
    provider = FakeProvider([fenced("export default 6 * 7")])
    try:
        _write(Served(pid=stand_in.pid, model="embedded", name="served-model", base_url=provider.base_url, api_key="the-key",
                     server_pid=os.getpid()))  # the scripted server runs in this process
        done = subprocess.run([sys.executable, "-m", "agent", "solve", "Six times seven.", "--output", "int", "--json"],
                              capture_output=True, text=True, env=environment(cache), timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["value"] == 42 and json.loads(done.stdout)["model"] == "served-model"
        assert provider.authorizations == ["Bearer the-key"] and provider.requests[0]["model"] == "served-model"
    finally:
        provider.close()


def test_the_state_file_is_the_users_alone(cache, stand_in):
    path = _write(Served(pid=stand_in.pid, model="embedded", name="m", base_url="http://127.0.0.1:9/v1", api_key="k", server_pid=stand_in.pid))
    assert path == cache / STATE_FILE and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_stale_state_file_is_ignored(cache, stand_in):
    provider = FakeProvider([])
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        _write(Served(pid=dead.pid, model="embedded", name="m", base_url=provider.base_url, api_key="k", server_pid=os.getpid()))
        assert find_served() is None and not (cache / STATE_FILE).exists()  # its process died: removed
        _write(Served(pid=stand_in.pid, model="embedded", name="m", base_url="http://127.0.0.1:9/v1", api_key="k", server_pid=stand_in.pid))
        assert find_served() is None and (cache / STATE_FILE).exists()  # alive but not answering: ignored, kept
        _write(Served(pid=stand_in.pid, model="embedded", name="m", base_url=provider.base_url, api_key="k", server_pid=os.getpid()))
        assert find_served() is not None and find_served("/some/other.gguf") is None  # another model's server is not this one
        (cache / STATE_FILE).write_text("{not json")
        assert find_served() is None
    finally:
        provider.close()


def test_serve_stop_stops_the_server_named_in_the_state_file(cache, stand_in):
    _write(Served(pid=stand_in.pid, model="embedded", name="m", base_url="http://127.0.0.1:9/v1", api_key="k", server_pid=stand_in.pid))
    done = subprocess.run([sys.executable, "-m", "agent", "serve", "--stop"], capture_output=True, text=True, env=environment(cache), timeout=60)
    assert done.returncode == 0 and f"stopped jsolve serve (process {stand_in.pid})" in done.stdout
    assert stand_in.wait(10) is not None
    again = subprocess.run([sys.executable, "-m", "agent", "serve", "--stop"], capture_output=True, text=True, env=environment(cache), timeout=60)
    assert again.returncode == 0 and "no jsolve serve is running" in again.stdout and not (cache / STATE_FILE).exists()


def test_a_second_serve_is_refused_while_one_runs(cache, stand_in):
    _write(Served(pid=stand_in.pid, model=model_key("/x.gguf"), name="m", base_url="http://127.0.0.1:9/v1", api_key="k", server_pid=stand_in.pid))
    done = subprocess.run([sys.executable, "-m", "agent", "serve"], capture_output=True, text=True, env=environment(cache), timeout=60)
    assert done.returncode == 2 and f"jsolve serve already runs (process {stand_in.pid}" in done.stderr


@pytest.mark.skipif(not local_model.is_installed(), reason="needs the local extra (the embedded model)")
def test_the_embedded_model_is_served_found_and_stopped(tmp_path, monkeypatch):
    assembled = local_model.default_cache_dir()
    for file in assembled.glob("*.gguf"):  # the model assembled before, seen from the test's own cache folder
        (tmp_path / file.name).symlink_to(file)
        (tmp_path / file.with_suffix(".verified").name).symlink_to(file.with_suffix(".verified"))
    monkeypatch.setenv("JSOLVE_CACHE_DIR", str(tmp_path))
    env = environment(tmp_path)
    server = subprocess.Popen([sys.executable, "-m", "agent", "serve"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 300
        while not (tmp_path / STATE_FILE).exists():
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.2)
        served = find_served()
        assert served is not None and served.pid == server.pid
        done = subprocess.run([sys.executable, "-m", "agent", "serve", "--stop"], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert server.wait(30) == 0 and not (tmp_path / STATE_FILE).exists()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
