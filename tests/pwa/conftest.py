"""Browser tests: Debian's Chromium through Playwright (never `playwright install`) against a real
server on 127.0.0.1, each test with its own copy of the demo database and a server-side hit counter
(so "the server saw no request" is asserted, not assumed)."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.servers import ThreadServer, copy_template

# A 2-core CI machine running a server, a browser and the test in one go is slow at times: assertions
# wait up to 15 s for the page (Playwright's default is 5 s). A broken page still fails, only later.
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("LUMBUNG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=id-ID",
]

if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    if os.environ.get("CI"):  # CI installs it (.ci/run): a missing browser there is a failure, never a silent skip
        raise RuntimeError("Debian chromium is missing in CI: .ci/run should have installed it")
    pytest.skip("Debian chromium is not installed (apt-get install chromium; .ci/run does it)", allow_module_level=True)


class Hits:
    """Counts every HTTP request the server receives (ASGI wrapper around the real app)."""

    def __init__(self, app):  # type: ignore[no-untyped-def]
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


class PwaServer:
    """A ThreadServer that can be stopped and started again on the same port (same origin)."""

    def __init__(self, data_dir: Path, **overrides: object) -> None:
        self.data_dir = data_dir
        self.overrides = overrides
        self.port: int | None = None
        self.hits = Hits(None)
        self.inner: ThreadServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PwaServer:
        server = ThreadServer(self.data_dir, **self.overrides)
        if self.port is not None:  # rebind the old port: the browser's origin must not change
            server.sock.close()
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            deadline = time.monotonic() + 10
            while True:
                try:
                    sock.bind(("127.0.0.1", self.port))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            server.sock = sock
            server._thread = __import__("threading").Thread(
                target=server._server.run, kwargs={"sockets": [sock]}, daemon=True
            )
        self.port = server.port if self.port is None else self.port
        self.hits.app = server.app
        server._server.config.app = self.hits
        self.inner = server.start()
        return self

    def stop(self) -> None:
        if self.inner:
            self.inner.stop()
            self.inner = None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def pwa(demo_template: Path, tmp_path: Path) -> Iterator[PwaServer]:
    server = PwaServer(copy_template(demo_template, tmp_path / "data"))
    yield server
    server.stop()


@pytest.fixture
def browser_context_args(browser_context_args, pwa):  # type: ignore[no-untyped-def]
    return {
        **browser_context_args,
        "base_url": pwa.url,
        "viewport": {"width": 360, "height": 800},
        "permissions": ["notifications", "background-sync"],
        "service_workers": "allow",
        "locale": "id-ID",
        "timezone_id": "Asia/Jakarta",
        # Playwright evaluates wait_for_function predicates with eval; test_shell checks the CSP itself
        "bypass_csp": True,
    }


def wait_for(check: Callable[[], object], timeout: float = 10.0, page=None) -> object:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        if page is not None:
            page.wait_for_timeout(50)
        else:
            time.sleep(0.05)
