"""A real SMS gateway for the tests: an HTTP server on 127.0.0.1 (threaded), started by the test,
answering with a script of (status, body) and recording every request it received."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict


@dataclass
class Gateway:
    url: str
    script: deque = field(default_factory=deque)  # (status, body dict, delay seconds); empty → 200 ok
    received: list[Received] = field(default_factory=list)

    def answer(self, status: int = 200, body: dict | None = None, delay: float = 0.0) -> None:
        self.script.append((status, body if body is not None else {"ok": True, "id": f"gw-{len(self.script)}"}, delay))


def _handler(gateway: Gateway):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            gateway.received.append(Received(self.path, dict(self.headers.items()), json.loads(raw.decode("utf-8"))))
            status, body, delay = gateway.script.popleft() if gateway.script else (200, {"ok": True, "id": "gw-ok"}, 0)
            if delay:
                time.sleep(delay)
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        def log_message(self, *args):  # keep the test output clean
            pass

    return Handler


def serve(settings):
    """The test gateway, and the settings that send through it (the HTTP backend); a test module's
    fixture yields from it."""
    box = Gateway(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(box))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box.url = f"http://127.0.0.1:{server.server_address[1]}/api/send"
    settings.SMS_BACKEND = "http"
    settings.SMS_URL = box.url
    settings.SMS_KEY = "test-key"
    settings.SMS_TIMEOUT_SECONDS = 1
    settings.SMS_RETRY_SECONDS = 60
    settings.SMS_MAX_ATTEMPTS = 3
    yield box
    server.shutdown()
    server.server_close()
