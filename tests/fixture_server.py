"""A real HTTP server on 127.0.0.1 for the network tests: it records every request it gets."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FixtureServer:
    """Routes: /page (HTML), /echo (GET/POST, echoes method, headers and body as JSON), /missing (404),
    /redirect/N (a chain of N redirects ending at /page), /to?url=U[&status=S] (a redirect to U,
    302 unless S), /slow (answers only when the server closes), /big?n=N (N bytes), /json (a JSON
    document)."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str, dict[str, str]]] = []
        self.closing = threading.Event()
        fixture = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str = "text/plain", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                fixture.hits.append((self.command, self.path, dict(self.headers)))
                path, _, query = self.path.partition("?")
                params = {k: v[0] for k, v in parse_qs(query).items()}
                if path == "/page":
                    self._send(200, b"<html><head><title>Fixture page</title></head><body>hi</body></html>", "text/html; charset=utf-8", {"X-Fixture": "page"})
                elif path == "/echo":
                    echo = {"method": self.command, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                    self._send(200, json.dumps(echo).encode(), "application/json")
                elif path == "/json":
                    self._send(200, json.dumps({"items": [{"region": "north", "amount": 3}, {"region": "south", "amount": 4}]}).encode(), "application/json")
                elif path.startswith("/redirect/"):
                    left = int(path.rsplit("/", 1)[1])
                    self._send(302, b"", headers={"Location": f"/redirect/{left - 1}" if left > 1 else "/page"})
                elif path == "/to":
                    self._send(int(params.get("status", 302)), b"", headers={"Location": params["url"]})
                elif path == "/slow":
                    fixture.closing.wait(60)
                    self._send(200, b"late")
                elif path == "/big":
                    self._send(200, b"x" * int(params["n"]))
                else:
                    self._send(404, b"no such page")

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # clients that hang up early are expected here
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
