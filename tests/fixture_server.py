"""A real HTTP(S) server on 127.0.0.1 for the network tests: it records every request it gets."""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs


class FixtureServer:
    """Routes: /page (HTML), /echo (GET/POST, echoes method, headers and body as JSON), /missing (404),
    /redirect/N (a chain of N redirects ending at /page), /to?url=U[&status=S] (a redirect to U,
    302 unless S), /slow (answers only when the server closes), /big?n=N (N bytes), /json (a JSON
    document). With `tls`, it speaks HTTPS and records the name each client asked for (SNI)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.hits: list[tuple[str, str, dict[str, str]]] = []
        self.server_names: list[str | None] = []
        self.closing = threading.Event()
        fixture = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms stall on a kept-alive connection

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
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


def certificates(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A test CA and a certificate it signed for `name`, made with the openssl command:
    (CA certificate, certificate, its key) as PEM files in `folder`."""
    ca, ca_key, cert, key, request = (folder / f for f in ("ca.pem", "ca.key", "cert.pem", "cert.key", "cert.csr"))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    subprocess.run(["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=jsolve test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"], check=True, capture_output=True)
    subprocess.run(["openssl", "req", *ec, "-keyout", key, "-out", request, "-subj", f"/CN={name}"], check=True, capture_output=True)
    extensions = folder / "cert.ext"
    extensions.write_text(f"subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                          "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n")
    subprocess.run(["openssl", "x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
                    "-days", "2", "-extfile", extensions], check=True, capture_output=True)
    return ca, cert, key
