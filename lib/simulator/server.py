"""HTTP for the simulator: a stdlib ``ThreadingHTTPServer`` in a daemon thread.

Serves the API under ``/v1/...`` (OpenAI), ``/openai/...`` and
``/openai/v1/...`` (the paths ``AzureOpenAI(azure_endpoint=...)`` uses). See
the package docstring for the :class:`Simulator` API tests rely on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from lib.catalog import today as real_today
from lib.simulator.api import Service, SimLimits
from lib.simulator.faults import Fault, preset_fault
from lib.simulator.protocol import Request, Response, unparsable_json
from lib.simulator.state import ApiError, VirtualClock, key_id, new_id

API_PREFIXES = ("/openai/v1/", "/openai/", "/v1/")
MISSING_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or in the api-key header."
)
# Never echo the key (not even masked, as the real service does): logs and screenshots leak.
INVALID_KEY_MESSAGE = (
    "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
)


def parse_multipart(body: bytes, content_type: str) -> dict:
    """Fields of a ``multipart/form-data`` body: name -> str, or (filename, bytes) for file parts."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ApiError(400, "The multipart body has no boundary.", code="invalid_multipart")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = head.decode("utf-8", errors="replace")
        disposition = next(
            (line for line in headers.split("\r\n") if line.lower().startswith("content-disposition")), ""
        )
        name = re.search(r'\bname="([^"]*)"', disposition)
        if not name:
            continue
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        encoded = re.search(r"\bfilename\*=(?:[\w-]+)''([^;\s]+)", disposition)
        if filename or encoded:
            fname = unquote(encoded.group(1)) if encoded else filename.group(1).replace("%22", '"')
            fields[name.group(1)] = (fname, content)
        else:
            fields[name.group(1)] = content.decode("utf-8", errors="replace")
    return fields


def api_path_of(path: str) -> str | None:
    """The path below the API root (``/v1/files`` -> ``files``), or None outside it."""
    for prefix in API_PREFIXES:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            return path[len(prefix) :]
    return None


class _Server(ThreadingHTTPServer):
    """Keeps track of open connections so :meth:`close_all` can cut keep-alive clients off."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, simulator: "Simulator"):
        self.simulator = simulator
        self._open: set = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # A client that gave up (timeout, closed socket) is normal here, not a bug to print.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)

    def close_all(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    server_version = "TuningDeskSimulator"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # the request log is the simulator's own (and never holds a key)

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    # -- plumbing --
    def _read_body(self, limit: int) -> bytes | None:
        """The request body, or None when it is larger than ``limit`` (not read)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                total += size
                if total > limit:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            return None
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, body: dict | bytes, content_type: str = "application/json", headers: dict | None = None
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", new_id("req_", 32))
        self.send_header("openai-version", "2020-10-01")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _api_key(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            key = auth[7:].strip()
            if key:
                return key
        key = self.headers.get("api-key", "").strip()
        return key or None

    def _dispatch(self) -> None:
        sim: Simulator = self.server.simulator
        started = time.time()
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        api_key = self._api_key()
        entry = {
            "time": started,
            "method": self.command,
            "path": url.path,
            "query": query,
            "body": None,
            "key_id": key_id(api_key) if api_key else None,
            "idempotency_key": self.headers.get("Idempotency-Key"),
            "status": None,
        }
        sim._record(entry)
        body = self._read_body(sim.service.limits.max_request_bytes)
        if body is None:
            self.close_connection = True
            entry["status"] = 413
            self._send(
                413, ApiError(413, "The request body is too large for this simulator.", code="request_too_large").body()
            )
            return
        request = Request(self.command, "", query, idempotency_key=entry["idempotency_key"])
        try:
            self._parse_body(request, body, entry)
            answer = self._answer(sim, url.path, request, api_key, entry)
        except ApiError as error:
            answer = Response(error.status, error.body()), error.headers
        except Exception:  # a simulator bug must still look like a server error, not a hang
            traceback.print_exc(file=sys.stderr)
            answer = (
                Response(500, ApiError(500, "The simulator hit an internal error.", type="server_error").body()),
                {},
            )
        if answer is None:  # dropped connection
            self.close_connection = True
            return
        response, headers = answer
        entry["status"] = response.status
        self._send(response.status, response.body, response.content_type, headers)

    def _parse_body(self, request: Request, body: bytes, entry: dict) -> None:
        """Fill ``request.form`` (multipart) or ``request.json`` from ``body``; the log entry gets a summary."""
        content_type = self.headers.get("Content-Type", "")
        if content_type.lower().startswith("multipart/form-data"):
            request.form = parse_multipart(body, content_type)
            files = {name: value for name, value in request.form.items() if isinstance(value, tuple)}
            first = next(iter(files.values()), (None, b""))
            entry["body"] = {"purpose": request.form.get("purpose"), "filename": first[0], "bytes": len(first[1])}
        elif body.strip():
            try:
                request.json = json.loads(body)
            except ValueError:
                raise unparsable_json() from None
            entry["body"] = request.json
            if not isinstance(request.json, dict):
                raise ApiError(400, "The request body must be a JSON object.", code="invalid_json")

    def _answer(self, sim: "Simulator", path: str, request: Request, api_key: str | None, entry: dict):
        if sim.latency:
            time.sleep(sim.latency)
        api_path = api_path_of(path)
        fault = sim._take_fault(self.command, "/" + (api_path if api_path is not None else path.lstrip("/")))
        if fault is not None:
            if fault.latency:
                time.sleep(fault.latency)
            if fault.drop:
                return None
            error = fault.error(request.json)
            if error is not None:
                raise error
        if api_path is None:
            raise ApiError(404, f"Invalid URL ({self.command} {path})")
        if not api_key:
            raise ApiError(401, MISSING_KEY_MESSAGE)
        if not sim.accepts(api_key):
            raise ApiError(401, INVALID_KEY_MESSAGE, code="invalid_api_key")
        request.path = api_path
        request.flavor = "azure" if path.startswith("/openai/") else "openai"  # Azure OpenAI's paths
        namespace = sim.service.namespace(api_key)
        return sim.service.handle(namespace, request), {}


class Simulator:
    """A local OpenAI fine-tuning API; see the package docstring for the whole contract."""

    def __init__(
        self,
        speed: float = 1.0,
        *,
        today: dt.date | None = None,
        known_keys=None,
        key_check: Callable[[str], bool] | None = None,
        limits: SimLimits | None = None,
    ):
        self._clock = VirtualClock(speed)
        self._today = today
        self.known_keys = set(known_keys) if known_keys is not None else None
        # Which keys get a space: ``known_keys`` and/or ``key_check(key)``; neither given: any key.
        # The app's demo simulator only serves keys the app minted (lib.connection.is_demo_key).
        self.key_check = key_check
        self.latency = 0.0
        self.service = Service(self._clock, lambda: self.today, limits)
        self._faults: list[Fault] = []
        self._fault_lock = threading.Lock()
        self._log: deque = deque(maxlen=self.service.limits.request_log_entries)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.host = "127.0.0.1"
        self.port: int | None = None

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"<Simulator {where} speed={self.speed:g}>"

    def accepts(self, api_key: str) -> bool:
        """Whether ``api_key`` may use this simulator (see ``known_keys`` and ``key_check``)."""
        if self.known_keys is None and self.key_check is None:
            return True
        if self.known_keys is not None and api_key in self.known_keys:
            return True
        return self.key_check is not None and bool(self.key_check(api_key))

    # -- settings --
    @property
    def speed(self) -> float:
        """How much faster than the wall clock jobs progress (1: a job takes about two minutes)."""
        return self._clock.speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._clock.speed = value

    @property
    def today(self) -> dt.date:
        """The simulator's date (model shutdowns, the job deadline); the real date unless set."""
        return self._today or real_today()

    @today.setter
    def today(self, value: dt.date | None) -> None:
        self._today = value

    # -- serving --
    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def root_url(self) -> str:
        """``http://HOST:PORT``: the ``azure_endpoint`` for ``AzureOpenAI``."""
        if self.port is None:
            raise RuntimeError("the simulator has not been started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1``: the ``base_url`` for ``OpenAI``."""
        return self.root_url + "/v1"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> "Simulator":
        """Serve in a daemon thread (port 0 picks a free port). State survives stop/start."""
        if self._server is not None:
            raise RuntimeError(f"the simulator is already serving at {self.root_url}")
        server = _Server((host, port), _Handler, self)
        self._server = server
        self.host, self.port = host, server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=f"simulator-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port; open keep-alive connections are cut."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- faults --
    def add_fault(
        self,
        status: int | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        retry_after: float | None = None,
        code: str | None = None,
        message: str | None = None,
        latency: float | None = None,
        drop: bool = False,
        preset: str | None = None,
    ) -> Fault:
        """Make the next ``times`` matching requests fail (see :mod:`lib.simulator.faults`)."""
        given = dict(status=status, method=method, path=path, code=code, message=message, latency=latency)
        if preset is not None:
            fault = preset_fault(preset, **given, retry_after=retry_after, drop=drop or None)  # given overrides preset
            fault.times = times
        else:
            if status is None and latency is None and not drop:
                raise ValueError("a fault needs a status, a latency, drop=True or a preset")
            fault = Fault(**given, retry_after=retry_after, times=times, drop=drop)
        with self._fault_lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._fault_lock:
            self._faults.clear()

    def _take_fault(self, method: str, api_path: str) -> Fault | None:
        with self._fault_lock:
            for fault in self._faults:
                if fault.matches(method, api_path):
                    if fault.times is not None:
                        fault.times -= 1
                    self._faults = [f for f in self._faults if f.times is None or f.times > 0]
                    return fault
        return None

    # -- request log --
    def _record(self, entry: dict) -> None:
        self._log.append(entry)

    @property
    def request_log(self) -> list[dict]:
        """Requests seen, oldest first: {time, method, path, query, body, key_id, idempotency_key, status}."""
        return [dict(entry) for entry in list(self._log)]

    def clear_log(self) -> None:
        self._log.clear()


_demo: Simulator | None = None
_demo_lock = threading.Lock()


def ensure_demo_simulator() -> Simulator:
    """The process's demo simulator (speed 1, a free port on 127.0.0.1), started on first call.

    It serves only demo keys this process minted (:func:`lib.connection.is_demo_key`): made-up keys
    get 401, so nobody can flood it with throw-away spaces or guess a visitor's.
    """
    global _demo

    def is_demo_key(key: str) -> bool:  # looked up per call: a reloaded lib.connection mints with a new secret
        import lib.connection

        return lib.connection.is_demo_key(key)

    with _demo_lock:
        if _demo is None:
            _demo = Simulator(speed=1.0, key_check=is_demo_key).start(host="127.0.0.1", port=0)
        elif not _demo.running:
            _demo.start(host="127.0.0.1", port=0)
        return _demo


def running_demo_port() -> int | None:
    """The port of this process's demo simulator if it is serving, else None (never starts it)."""
    demo = _demo
    return demo.port if demo is not None and demo.running else None
