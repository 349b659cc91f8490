"""Migration 0008: deposits and withdrawals record the role their decider acted in, old rows backfilled."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from server.storage.migrate import alembic_config, upgrade
from tests.support.servers import copy_template


def test_decided_role_is_backfilled_from_the_deciders_role_and_the_migration_reverses(
    demo_template: Path, tmp_path: Path
) -> None:
    data = copy_template(demo_template, tmp_path / "data")
    path = data / "lumbung.sqlite3"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM deposits WHERE decided_role = 'admin'").fetchone()[0] > 0
    config = alembic_config(path)
    before = ScriptDirectory.from_config(config).get_revision("0008").down_revision  # just below 0008
    command.downgrade(config, before)
    with sqlite3.connect(path) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(deposits)")}
        assert "decided_role" not in columns
    upgrade(path)
    with sqlite3.connect(path) as conn:
        decided = conn.execute("SELECT COUNT(*) FROM deposits WHERE decided_by IS NOT NULL").fetchone()[0]
        backfilled = conn.execute(
            "SELECT COUNT(*) FROM deposits d JOIN users u ON u.id = d.decided_by WHERE d.decided_role = u.role"
        ).fetchone()[0]
        assert decided > 0 and backfilled == decided
        assert "decided_role" in {r[1] for r in conn.execute("PRAGMA table_info(withdrawals)")}
