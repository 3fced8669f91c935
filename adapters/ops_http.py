"""The operator's HTTP port: /metrics (Prometheus), /healthz (alive), /readyz (working)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

Readiness = Callable[[], str | None]  # None when ready, else why not


def _handler(registry: CollectorRegistry, readiness: Readiness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, CONTENT_TYPE_LATEST, generate_latest(registry))
            elif path == "/healthz":
                self._reply(200, "text/plain; charset=utf-8", b"ok\n")
            elif path == "/readyz":
                reason = readiness()
                body = (reason or "ready") + "\n"
                self._reply(503 if reason else 200, "text/plain; charset=utf-8", body.encode())
            else:
                self._reply(
                    404, "text/plain; charset=utf-8", b"try /metrics, /healthz or /readyz\n"
                )

        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # scrapes every few seconds would drown the log

    return Handler


@dataclass
class OpsServer:
    server: ThreadingHTTPServer

    @classmethod
    def start(
        cls, host: str, port: int, registry: CollectorRegistry, readiness: Readiness
    ) -> OpsServer:
        server = ThreadingHTTPServer((host, port), _handler(registry, readiness))
        threading.Thread(target=server.serve_forever, name="ops-http", daemon=True).start()
        return cls(server)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
