"""Real servers for tests: in a thread (fast) or as a separate process (to kill -9 and restart)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from server.auth.passwords import Passwords
from server.demo import load_demo
from server.settings import Settings
from server.storage.database import Database
from server.storage.migrate import upgrade

__all__ = ["TEST_SETTINGS", "make_demo_template", "copy_template", "ThreadServer", "ProcessServer", "free_port"]

ROOT = Path(__file__).resolve().parents[2]
TEST_SETTINGS = {"argon2_memory_kib": 8192, "argon2_time_cost": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_demo_template(data_dir: Path) -> Path:
    """Migrate and load the demo cooperative once; tests copy the result."""
    settings = Settings(data_dir=str(data_dir), **TEST_SETTINGS)  # type: ignore[arg-type]
    upgrade(settings.database_path)
    db = Database(settings.database_path)
    try:
        load_demo(db, Passwords(settings.argon2_memory_kib, settings.argon2_time_cost))
    finally:
        db.close()
    # fold the WAL in, so a file copy is complete; closed here, not whenever it is collected (the last
    # connection's close deletes the -wal and -shm files, which broke a copytree running at that moment)
    with contextlib.closing(sqlite3.connect(settings.database_path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    settings.signing_key()
    return data_dir


def copy_template(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, dirs_exist_ok=True)
    return target


class ThreadServer:
    """uvicorn serving our app on 127.0.0.1 in a background thread."""

    def __init__(self, data_dir: Path, **overrides: object) -> None:
        from server.http.app import create_app

        self.data_dir = Path(data_dir)
        self.settings = Settings(data_dir=str(data_dir), **{**TEST_SETTINGS, **overrides})  # type: ignore[arg-type]
        self.app = create_app(self.settings)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = self.settings.database_path
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> ThreadServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self.sock.close()


class ProcessServer:
    """``lumbung-server serve`` as its own process, so a test can SIGKILL it and start it again."""

    def __init__(self, data_dir: Path, port: int | None = None, **env: str) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = self.data_dir / "lumbung.sqlite3"
        self.env = {
            **os.environ,
            "LUMBUNG_ARGON2_MEMORY_KIB": "8192",
            "LUMBUNG_ARGON2_TIME_COST": "1",
            "LUMBUNG_ALLOW_DEMO_ACCOUNTS": "1",  # the demo template's accounts
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.data_dir / "server.log"

    def start(self) -> ProcessServer:
        cmd = [sys.executable, "-m", "server.cli", "--data-dir", str(self.data_dir), "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=ROOT, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server failed to start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush; only what SQLite committed survives."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
