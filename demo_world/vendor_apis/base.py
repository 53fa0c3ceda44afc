"""Plumbing shared by the local vendor APIs: a threaded HTTP server, JSON replies, faults.

A local API is a `VendorApi` subclass that answers `handle(request)`; `LocalApiServer` serves it
on 127.0.0.1 (a free port by default) in a background thread. Tests and the demo inject faults
through `api.faults`: the next N requests answer 429 with Retry-After or a 5xx, or one page comes
back truncated, exactly as a flaky vendor would. Every request is recorded in `api.requests` so
tests can count calls and check what was asked.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    raw_query: str = ""

    @property
    def target(self) -> str:
        """Path and decoded query string: what fault fragments are matched against."""
        return self.path + ("?" + unquote_plus(self.raw_query) if self.raw_query else "")

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    status: int
    body: object = None  # JSON-serializable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode() if self.body is not None else b""


@dataclass
class _Fault:
    status: int
    remaining: int
    path_contains: str
    retry_after: str | None
    body: object


class FaultPlan:
    """Faults to inject, consumed in order by matching requests (thread-safe)."""

    def __init__(self, seed: int = 0):
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._truncations: list[list] = []  # [path fragment, matching requests still to pass]
        self._rng = random.Random(seed)
        self.random_5xx_rate = 0.0

    def fail_next(self, status: int, count: int = 1, path_contains: str = "", retry_after: str | None = None,
                  body: object = None) -> None:
        with self._lock:
            self._faults.append(_Fault(status, count, path_contains, retry_after, body))

    def truncate(self, path_contains: str, request_number: int = 1) -> None:
        """Cut in half the reply to the n-th next request whose path, query or body (a POSTed query
        such as Google's GAQL) contains the fragment."""
        with self._lock:
            self._truncations.append([path_contains, request_number])

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._truncations.clear()
            self.random_5xx_rate = 0.0

    def before(self, request: Request) -> Response | None:
        """A fault reply for this request, or None to answer it normally."""
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.path_contains in request.target:
                    fault.remaining -= 1
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                    return Response(fault.status, fault.body or {"message": f"injected fault {fault.status}"},
                                    headers)
            if self.random_5xx_rate and self._rng.random() < self.random_5xx_rate:
                return Response(503, {"message": "Service temporarily unavailable (injected)"})
        return None

    def after(self, request: Request, payload: bytes) -> bytes:
        with self._lock:
            for truncation in list(self._truncations):
                if truncation[0] in request.target or truncation[0].encode() in request.body:
                    truncation[1] -= 1
                    if truncation[1] == 0:
                        self._truncations.remove(truncation)
                        return payload[: len(payload) // 2]
        return payload


class VendorApi:
    """Base class: subclasses implement `handle`; faults and the request log come for free."""

    def __init__(self, seed: int = 0):
        self.faults = FaultPlan(seed)
        self.requests: list[tuple[str, str, int]] = []  # (method, path with query, status)
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def respond(self, request: Request) -> tuple[Response, bytes]:
        response = self.faults.before(request)
        if response is None:
            try:
                with self._lock:  # one request at a time: the data may be changed by tests
                    response = self.handle(request)
            except Exception as exc:  # a bug in the fake should look like a vendor 500, loudly
                response = Response(500, {"message": f"internal error: {type(exc).__name__}: {exc}"})
        payload = self.faults.after(request, response.encoded())
        return response, payload


class LocalApiServer:
    """Serves a VendorApi on 127.0.0.1 in a daemon thread; use as a context manager."""

    def __init__(self, api: VendorApi, port: int = 0):
        self.api = api
        api_ref = api

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # replies go out in two writes: without this, 40 ms each

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                                  {k.lower(): v for k, v in self.headers.items()},
                                  self.rfile.read(length) if length else b"", parts.query)
                response, payload = api_ref.respond(request)
                api_ref.requests.append((self.command, self.path, response.status))
                self.send_response(response.status)
                headers = {"Content-Type": "application/json;charset=utf-8", **response.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, *args):  # keep test and demo output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalApiServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
