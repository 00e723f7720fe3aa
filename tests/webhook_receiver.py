"""A real webhook receiver on loopback for the delivery tests: an http.server in a thread that follows a script of
answers (fail, stall, redirect, succeed), checks every signature, de-duplicates by Idempotency-Key the way an
enforcement system should, and counts TCP connections (so a test can show that a refused URL was never contacted).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flockwatch.review.delivery import SIGNATURE_HEADER, verify_signature


@dataclass
class Seen:
    at: float
    path: str
    key: str | None
    signature_ok: bool
    body: bytes
    answer: str


@dataclass
class Receiver:
    secret: bytes
    #: answers in order, one per request; the last repeats. "ok", "500", "503:RETRY_AFTER_S", "302",
    #: "stall:SECONDS" (answer 200 after SECONDS: the record is applied, the sender may have given up by then)
    script: list[str] = field(default_factory=lambda: ["ok"])
    requests: list[Seen] = field(default_factory=list)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys_seen: set[str] = field(default_factory=set)
    connections: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key = self.headers.get("Idempotency-Key")
                ok = verify_signature(outer.secret, body, self.headers.get(SIGNATURE_HEADER))
                with outer._lock:
                    i = len(outer.requests)
                    answer = outer.script[min(i, len(outer.script) - 1)]
                    outer.requests.append(Seen(time.time(), self.path, key, ok, body, answer))
                if not ok:
                    return self._reply(401)
                if answer == "500":
                    return self._reply(500)
                if answer.startswith("503:"):
                    return self._reply(503, {"Retry-After": answer.split(":", 1)[1]})
                if answer == "302":
                    return self._reply(302, {"Location": f"http://127.0.0.1:{outer.port}/elsewhere"})
                with outer._lock:
                    duplicate = key in outer.keys_seen
                    if not duplicate and key is not None:
                        outer.keys_seen.add(key)
                        for rec in json.loads(body)["records"]:
                            outer.applied.setdefault(rec["idempotency_key"], rec)
                if answer.startswith("stall:"):
                    time.sleep(float(answer.split(":", 1)[1]))
                self._reply(200)

            def _reply(self, code: int, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(code)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender timed out and closed the connection
                    pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def process_request(self, request: Any, client_address: Any) -> None:
                with outer._lock:
                    outer.connections += 1
                super().process_request(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, host: str = "127.0.0.1", path: str = "/hook") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
