"""The seam a PostgreSQL backend plugs into: ``Database`` is a ``Storage``, and the transaction scopes
callers get instead of SAVEPOINT/BEGIN statements keep or undo exactly what they promise."""

from __future__ import annotations

import inspect
import sqlite3
from pathlib import Path

import pytest

from server.storage.database import Database
from server.storage.interface import Storage
from server.storage.migrate import upgrade
from server.storage.savings import has_members, insert_location, location_exists
from server.storage.transactions import savepoint, snapshot


@pytest.fixture
def db(tmp_path: Path):
    path = tmp_path / "lumbung.sqlite3"
    upgrade(path)
    database = Database(path)
    yield database
    database.close()


def test_the_sqlite_database_is_a_storage_with_the_same_signatures(db: Database) -> None:
    assert isinstance(db, Storage)
    for name, member in inspect.getmembers(Storage, inspect.isfunction):
        if name.startswith("_"):
            continue
        ours = inspect.signature(getattr(Database, name))
        assert list(ours.parameters) == list(inspect.signature(member).parameters), name
        assert inspect.iscoroutinefunction(getattr(Database, name)) == inspect.iscoroutinefunction(member), name


def test_a_savepoint_that_raises_undoes_only_itself(db: Database) -> None:
    def write(conn) -> None:
        insert_location(conn, 1, "Kantor Pusat")
        with pytest.raises(ValueError), savepoint(conn, "unit"):
            insert_location(conn, 2, "Pabrik")
            raise ValueError("refused")
        with savepoint(conn, "unit"):
            insert_location(conn, 3, "Gudang")

    db.write_sync(write)
    assert [db.read_sync(lambda c, i=i: location_exists(c, i)) for i in (1, 2, 3)] == [True, False, True]


def test_savepoint_names_are_identifiers_only(db: Database) -> None:
    with pytest.raises(ValueError):
        db.write_sync(lambda c: savepoint(c, "x; DROP TABLE members").__enter__())


def test_a_snapshot_reads_one_state_while_the_writer_commits(db: Database) -> None:
    reader = sqlite3.connect(db.path, isolation_level=None)
    try:
        with snapshot(reader):
            before = reader.execute("SELECT COUNT(*) FROM locations").fetchone()[0]
            db.write_sync(lambda c: insert_location(c, 9, "Baru"))
            during = reader.execute("SELECT COUNT(*) FROM locations").fetchone()[0]
        after = reader.execute("SELECT COUNT(*) FROM locations").fetchone()[0]
    finally:
        reader.close()
    assert (before, during, after) == (0, 0, 1)
    assert not db.read_sync(has_members)
