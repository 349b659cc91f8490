"""A TCP proxy between client and server that injects network faults, on 127.0.0.1 only.

Faults: ``delay`` every chunk; ``drop_rate`` loses a response after the server received (and
processed) the request, the worst case for exactly-once; ``down`` refuses the link entirely (the
officer walks out of signal). Random choices come from a seeded generator, so runs repeat.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time

__all__ = ["FaultProxy"]


class FaultProxy:
    def __init__(self, upstream_port: int, *, seed: int = 0) -> None:
        self.upstream_port = upstream_port
        self.delay = 0.0
        self.drop_rate = 0.0
        self.down = False
        self.dropped = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._closing = False
        self._sockets: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def cut(self) -> None:
        """Go offline: refuse new connections and break the open ones."""
        self.down = True
        self.break_connections()

    def restore(self) -> None:
        self.down = False

    def break_connections(self) -> None:
        with self._lock:
            for s in list(self._sockets):
                _close(s)
            self._sockets.clear()

    def stop(self) -> None:
        self._closing = True
        _close(self._listener)
        self.break_connections()
        self._thread.join(5)

    def _should_drop(self) -> bool:
        with self._lock:
            if self.drop_rate and self._rng.random() < self.drop_rate:
                self.dropped += 1
                return True
            return False

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.down:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, is_response: bool) -> None:
        try:
            source.settimeout(None)
            while True:
                chunk = source.recv(65536)
                if not chunk or self.down:
                    break
                if self.delay:
                    time.sleep(self.delay)
                if is_response and self._should_drop():
                    break  # the server did the work; the client never hears about it
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(source)
            _close(target)
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(target)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        s.close()
