"""A hostile server on loopback for the outbound tests: records every request's headers, answers as told.

It plays "a server the visitor controls": by default it answers like a small OpenAI-compatible API
(a model list, empty lists elsewhere), so a page that reaches it carries on and calls it again.
Only ever binds 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import threading

_MODELS = {
    "object": "list",
    "data": [{"id": "gpt-4o-mini-2024-07-18", "object": "model", "created": 0, "owned_by": "listener"}],
}
_EMPTY = {"object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None}


def _plausible(path: str) -> tuple[int, str, bytes]:
    body = _MODELS if "/models" in path else _EMPTY
    return 200, "application/json", json.dumps(body).encode()


class Listener:
    """An HTTP server on 127.0.0.1 that records ``{method, path, headers}`` (lower-case names) of each request.

    ``answer(path) -> (status, content type, body)``; a body may be an iterator of chunks (sent
    as they come), and 301/302/307 send ``body`` as the ``Location``.
    """

    def __init__(self, answer=None):
        self.requests: list[dict] = []
        self.answer = answer or _plausible
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                listener.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    }
                )
                status, ctype, body = listener.answer(self.path)
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", body.decode())
                    body = b""
                self.send_header("Content-Type", ctype)
                if callable(getattr(body, "__next__", None)):
                    self.end_headers()
                    for chunk in body:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a client that cut a reply short
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True, name=f"listener-{self.port}").start()

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.root_url + "/v1"

    def carrying(self, secret: str) -> list[dict]:
        """The requests that carried ``secret`` in any header."""
        return [r for r in self.requests if any(secret in v for v in r["headers"].values())]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
