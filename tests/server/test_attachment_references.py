"""The orphan clean-up's two guards that need no server: the one list of columns that name an
attachment covers the schema, and the grace is a bounded setting (``server/storage/attachments.py``,
``server/settings.py``)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from server.cli import main
from server.settings import Settings
from server.storage import attachments as store
from server.storage.database import Database
from server.storage.migrate import upgrade

LOOKS_LIKE_A_FILE = re.compile(r"attach|sha256|proof|bukti|lampiran|file|photo|foto|image|logo|receipt")


def test_every_column_that_looks_like_an_attachment_reference_is_listed_one_way_or_the_other(tmp_path: Path):
    """A new table or column naming attachments must join ``REFERENCING_COLUMNS`` (or, if it names
    something else, ``NOT_REFERENCES`` with its reason): else the clean-up would delete its files."""
    upgrade(tmp_path / "schema.sqlite3")
    with sqlite3.connect(tmp_path / "schema.sqlite3") as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {(t, r[1]) for t in tables for r in conn.execute(f"PRAGMA table_info({t})")}
    conn.close()
    listed = set(store.REFERENCING_COLUMNS) | set(store.NOT_REFERENCES)
    suspects = {(t, c) for t, c in columns if LOOKS_LIKE_A_FILE.search(c)}
    assert suspects - listed == set(), "classify these columns in server/storage/attachments.py"
    assert listed <= columns, "a listed column no longer exists"


def test_the_grace_is_a_setting_with_bounds() -> None:
    assert Settings().attachment_orphan_days == 30
    assert Settings().attachment_orphan_days * 86400 == Settings().refresh_token_ttl
    assert Settings.from_env({"LUMBUNG_ATTACHMENT_ORPHAN_DAYS": "90"}).attachment_orphan_days == 90
    for wrong in ("0", "3651", "-1"):
        with pytest.raises(ValueError, match="LUMBUNG_ATTACHMENT_ORPHAN_DAYS"):
            Settings.from_env({"LUMBUNG_ATTACHMENT_ORPHAN_DAYS": wrong})


def test_a_bad_grace_setting_stops_the_command_with_a_clear_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LUMBUNG_ATTACHMENT_ORPHAN_DAYS", "0")
    assert main(["--data-dir", str(tmp_path), "attachments-clean"]) == 2
    assert "LUMBUNG_ATTACHMENT_ORPHAN_DAYS" in capsys.readouterr().err


def test_the_orphan_query_uses_indexes_for_every_referencing_column(tmp_path: Path) -> None:
    """The clean-up scans the attachments once; each reference check is an index search, not a scan."""
    upgrade(tmp_path / "plan.sqlite3")
    database = Database(tmp_path / "plan.sqlite3")
    try:
        plan = database.read_sync(
            lambda c: [
                r[3]
                for r in c.execute("EXPLAIN QUERY PLAN SELECT 1 FROM attachments a WHERE " + store._unreferenced("a"))
            ]
        )
    finally:
        database.close()
    for table, _column in store.REFERENCING_COLUMNS:
        assert any(step.startswith(f"SEARCH {table} USING") for step in plan), plan
