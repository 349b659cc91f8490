"""End-to-end fixtures: a server process behind a fault-injecting proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.proxy import FaultProxy
from tests.support.servers import ProcessServer, copy_template


@pytest.fixture
def field(demo_template: Path, tmp_path: Path) -> Iterator[tuple[ProcessServer, FaultProxy]]:
    server = ProcessServer(copy_template(demo_template, tmp_path / "server")).start()
    proxy = FaultProxy(server.port, seed=7).start()
    yield server, proxy
    proxy.stop()
    server.stop()
