"""Fixtures of the client_sync tests (the live servers come from tests/conftest.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cs_support import closed_url, seed_profile

from client_sync import SyncClient


@pytest.fixture
def offline_client(tmp_path: Path) -> Iterator[SyncClient]:
    """An officer's device that synced once before and now has no network."""
    client = SyncClient(tmp_path / "device.sqlite3", closed_url(), device_name="tes")
    seed_profile(client)
    yield client
    client.close()
