"""Shared fixtures: a demo cooperative prepared once, real servers on 127.0.0.1 started from it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hypothesis import settings as hypothesis_settings  # noqa: E402

from tests.support.servers import ThreadServer, copy_template, make_demo_template  # noqa: E402

# CI runs property tests with fixed seeds (a red CI is always reproducible); developers' runs explore.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo_template(tmp_path_factory.mktemp("demo-template"))


@pytest.fixture(scope="session")
def live_server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadServer]:
    """One server shared by a session's tests: tests must not depend on each other's effects."""
    server = ThreadServer(copy_template(demo_template, tmp_path_factory.mktemp("live"))).start()
    yield server
    server.stop()


@pytest.fixture
def fresh_server(demo_template: Path, tmp_path: Path) -> Iterator[ThreadServer]:
    """A server with its own copy of the demo database, for tests that count or compare everything."""
    server = ThreadServer(copy_template(demo_template, tmp_path / "data")).start()
    yield server
    server.stop()
