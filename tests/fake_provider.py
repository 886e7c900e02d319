"""An OpenAI-compatible chat server on loopback that answers from a script, for testing the CLI
end to end in a subprocess (where a FunctionModel cannot be passed in)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def completion(model: str, content: str | list[str] | tuple[str, str], *, llama: bool = False) -> bytes:
    """A chat-completion answer as an OpenAI-compatible server sends it (50 tokens in, 20 out per
    choice); a list of texts is one answer with that many choices. `llama`: as llama.cpp's server
    answers, with its `timings` and the first choice's tokens only. A (text, finish reason) pair
    is one choice that stopped for that reason (`length`, `content_filter`)."""
    reason = "stop"
    if isinstance(content, tuple):
        content, reason = content
    texts = content if isinstance(content, list) else [content]
    out = 20 if llama else 20 * len(texts)
    body = {"id": "c", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": reason}
                        for i, text in enumerate(texts)],
            "usage": {"prompt_tokens": 50, "completion_tokens": out, "total_tokens": 50 + out}}
    if llama:
        body["timings"] = {"prompt_n": 50, "predicted_n": out}
    return json.dumps(body).encode()


class FakeProvider:
    """Serves `/v1/chat/completions`; each entry of `script` is a reply text, a list of texts (one
    answer with that many choices, for a request with `n`), or an HTTP status."""

    def __init__(self, script: list[str | list[str] | tuple[str, str] | int], *, llama: bool = False) -> None:
        self.script = list(script)
        self.llama = llama
        self.requests: list[dict] = []
        self.authorizations: list[str | None] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # llama.cpp's health check
                payload = b'{"status": "ok"}' if self.path == "/health" else b"{}"
                self.send_response(200 if self.path == "/health" else 404)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                provider.requests.append(body)
                provider.authorizations.append(self.headers.get("Authorization"))
                step = provider.next_step(body)
                if isinstance(step, int):
                    payload = json.dumps({"error": {"message": "unavailable"}}).encode()
                    self.send_response(step)
                    self.send_header("Retry-After", "0")
                else:
                    payload = completion(body["model"], step, llama=provider.llama)
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next_step(self, body: dict) -> str | list[str] | int:
        """The next entry of the script for this request: a list answers only a request that asks
        for n choices, so concurrent requests find their own answers in any order."""
        wants_choices = body.get("n", 1) > 1
        for index, step in enumerate(self.script):
            if isinstance(step, list) == wants_choices or isinstance(step, int):
                return self.script.pop(index)
        return self.script.pop(0) if self.script else 500

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
