"""Migrations are alembic revisions, transactional on SQLite: a failure leaves nothing behind."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from server.storage.migrate import MIGRATIONS, alembic_config, upgrade

HEAD = ScriptDirectory.from_config(alembic_config(":memory:")).get_current_head()  # the one head of the chain
BROKEN_REVISION = """
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
    op.execute("ALTER TABLE deposits ADD COLUMN half_done_flag INTEGER")
    op.execute("THIS IS NOT SQL")


def downgrade() -> None:
    pass
"""


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_upgrade_creates_schema_in_wal_mode_with_an_epoch(tmp_path: Path) -> None:
    db = tmp_path / "lumbung.sqlite3"
    upgrade(db)
    assert {"deposits", "withdrawals", "ledger", "changes", "mutations", "clients"} <= _tables(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert len(conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()[0]) == 16


def test_upgrade_twice_is_harmless(tmp_path: Path) -> None:
    db = tmp_path / "lumbung.sqlite3"
    upgrade(db)
    upgrade(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]


def test_failed_migration_leaves_nothing_half_applied(tmp_path: Path) -> None:
    db = tmp_path / "lumbung.sqlite3"
    upgrade(db)
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_broken.py").write_text(BROKEN_REVISION.replace("{head}", HEAD))
    cfg = alembic_config(db)
    cfg.set_main_option("script_location", str(scripts))
    with pytest.raises(Exception, match="syntax error"):
        command.upgrade(cfg, "head")
    assert "half_done" not in _tables(db)
    with sqlite3.connect(db) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(deposits)")}
        assert "half_done_flag" not in columns
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]


def test_ledger_is_append_only_at_the_database_level(tmp_path: Path) -> None:
    db = tmp_path / "lumbung.sqlite3"
    upgrade(db)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO locations (id, name) VALUES (1, 'x')")
        conn.execute(
            "INSERT INTO members (id, number, name, kind, location_id, joined_at) VALUES (1, 'A1', 'a', 'anggota', 1, 'd')"
        )
        conn.execute(
            "INSERT INTO ledger (seq, at, member_id, savings_type, amount, kind, ref_id, ref_code, balance_after,"
            " prev_hash, hash) VALUES (1, 't', 1, 'sukarela', 5, 'deposit', 'r', 'c', 5, 'p', 'h')"
        )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE ledger SET amount = 6 WHERE seq = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM ledger WHERE seq = 1")


def test_attachment_owner_migration_makes_each_existing_files_uploader_its_owner(tmp_path: Path) -> None:
    db = tmp_path / "lumbung.sqlite3"
    upgrade(db, "0003")
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO users (id, username, name, password_hash, role) VALUES (7, 'u', 'U', 'x', 'anggota')")
        conn.execute(
            "INSERT INTO attachments (sha256, size, content_type, uploaded_by, uploaded_at)"
            " VALUES ('ab', 3, 'image/png', 7, '2026-01-01T00:00:00+00:00')"
        )
    upgrade(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT sha256, user_id FROM attachment_uploads").fetchall() == [("ab", 7)]
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(deposits)")}
        assert "deposits_attachment" in indexes
    command.downgrade(alembic_config(db), "0003")
    assert "attachment_uploads" not in _tables(db)


def test_0012_keeps_a_fee_on_every_withdrawal_and_gives_the_ones_before_it_zero(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    config = alembic_config(str(db))
    command.upgrade(config, "0011")
    with sqlite3.connect(db) as conn:  # foreign keys are off on a bare connection: the row alone will do
        conn.execute(
            "INSERT INTO withdrawals (id, code, member_id, savings_type, amount, method, location_id, status,"
            " created_by, created_at) VALUES ('w1', 'PNR-1', 1, 'sukarela', 50000, 'transfer', 1, 'verified', 1, 'x')"
        )
    command.upgrade(config, "0012")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT fee FROM withdrawals WHERE id = 'w1'").fetchone() == (0,)
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE withdrawals SET fee = -1 WHERE id = 'w1'")
    command.downgrade(config, "0011")
    with sqlite3.connect(db) as conn:
        assert "fee" not in {r[1] for r in conn.execute("PRAGMA table_info(withdrawals)")}


def test_0014_starts_each_files_grace_from_its_latest_recorded_upload(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    config = alembic_config(str(db))
    command.upgrade(config, "0013")
    with sqlite3.connect(db) as conn:  # foreign keys are off on a bare connection: the rows alone will do
        conn.execute(
            "INSERT INTO attachments (sha256, size, content_type, uploaded_by, uploaded_at) VALUES"
            " ('ab', 3, 'image/png', 7, '2026-01-01T00:00:00+00:00'), ('cd', 3, 'image/png', 7, '2026-02-01T00:00:00+00:00')"
        )
        conn.execute(
            "INSERT INTO attachment_uploads (sha256, user_id, uploaded_at) VALUES"
            " ('ab', 7, '2026-01-01T00:00:00+00:00'), ('ab', 8, '2026-03-05T00:00:00+00:00')"
        )
    command.upgrade(config, "0014")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT sha256, last_uploaded_at FROM attachments ORDER BY 1").fetchall() == [
            ("ab", "2026-03-05T00:00:00+00:00"),  # a second uploader came later
            ("cd", "2026-02-01T00:00:00+00:00"),  # no upload rows: its first upload
        ]
    command.downgrade(config, "0013")
    with sqlite3.connect(db) as conn:
        assert "last_uploaded_at" not in {r[1] for r in conn.execute("PRAGMA table_info(attachments)")}
