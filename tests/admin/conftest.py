"""A server of its own for the administration tests (they change reference data and members)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import ApiSession, login
from tests.support.servers import ThreadServer, copy_template

ROLES = {"anggota": "anggota01", "petugas": "petugas1", "pengurus": "pengurus1", "admin": "admin"}


@pytest.fixture(scope="module")
def admin_server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadServer]:
    server = ThreadServer(copy_template(demo_template, tmp_path_factory.mktemp("admin"))).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sessions(admin_server: ThreadServer) -> Iterator[dict[str, ApiSession]]:
    opened = {role: login(admin_server.url, username) for role, username in ROLES.items()}
    yield opened
    for s in opened.values():
        s.close()
