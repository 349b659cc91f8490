"""A fake push service on 127.0.0.1: stores what it receives, answers as told, decrypts like a browser.

Each test "browser" is a :class:`Device`: a P-256 key pair and an auth secret whose subscription points
at this receiver. :meth:`PushReceiver.messages` decrypts every aes128gcm body with that device's
private key (``http_ece``) and checks the VAPID signature (``py_vapid``), as a push service and a
browser would together.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02

__all__ = ["PushReceiver", "Device", "b64url", "jwt_claims"]


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_claims(authorization: str) -> dict[str, Any]:
    token = authorization.split("t=", 1)[1].split(",", 1)[0]
    return json.loads(_unb64(token.split(".")[1]))


class Device:
    """A browser's push keys for one subscription."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64url(self.private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))

    def subscription(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict[str, Any]:
        return json.loads(
            http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        )


class PushReceiver:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.scripted: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
        """path -> answers to give, in order, before the default 201."""
        self.devices: dict[str, Device] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    # --- lifecycle: stop() and start() again on the same port = the push service down, then back ---

    def start(self) -> PushReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    script = receiver.scripted.get(self.path)
                    status, headers = script.pop(0) if script else (201, {})
                    receiver.received.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                            "at": time.monotonic(),
                            "status": status,
                        }
                    )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- devices and what they got -----------------------------------------------------------

    def device(self, name: str) -> Device:
        device = Device(f"{self.origin}/push/{name}")
        self.devices[f"/push/{name}"] = device
        return device

    def script(self, device: Device, *answers: tuple[int, dict[str, str]]) -> None:
        with self._lock:
            self.scripted[device.endpoint.removeprefix(self.origin)].extend(answers)

    def hits(self, device: Device) -> list[dict[str, Any]]:
        path = device.endpoint.removeprefix(self.origin)
        with self._lock:
            return [r for r in self.received if r["path"] == path]

    def messages(self, device: Device, server_public_key: str, subject: str | None = None) -> list[dict[str, Any]]:
        """Decrypted payloads the device accepted (2xx), each checked: aes128gcm, a valid VAPID signature
        by the server's key, the audience of this push service."""
        out = []
        for hit in self.hits(device):
            if not 200 <= hit["status"] < 300:
                continue
            headers = hit["headers"]
            assert headers["content-encoding"] == "aes128gcm"
            authorization = headers["authorization"]
            assert Vapid02.verify(authorization) is True
            assert authorization.split("k=", 1)[1].strip() == server_public_key
            claims = jwt_claims(authorization)
            assert claims["aud"] == self.origin and claims["exp"] > time.time()
            if subject is not None:
                assert claims["sub"] == subject
            out.append({"payload": device.decrypt(hit["body"]), "headers": headers})
        return out

    def wait_for(self, predicate: Any, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; received {len(self.received)} requests")
            time.sleep(0.02)
