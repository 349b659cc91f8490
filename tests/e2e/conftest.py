"""End-to-end fixtures: a server process behind a fault-injecting proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.proxy import FaultProxy
from tests.support.servers import ProcessServer, copy_template


@pytest.fixture
def field(
    demo_template: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[ProcessServer, FaultProxy]]:
    """A server process behind a fault proxy; a test parametrized with ``seed`` seeds the proxy too."""
    seed = request.getfixturevalue("seed") if "seed" in request.fixturenames else 7
    server = ProcessServer(copy_template(demo_template, tmp_path / "server")).start()
    proxy = FaultProxy(server.port, seed=seed).start()
    yield server, proxy
    proxy.stop()
    server.stop()
