"""The time zone setting through storage on a real database: transaction codes and history date filters."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from server.access import reach
from server.domain.models import Deposit
from server.storage import admin, reads, savings
from server.storage.database import Database
from tests.support.servers import copy_template

LATE = dt.datetime(2027, 1, 31, 16, 30, tzinfo=dt.UTC)  # 23:30 WIB on the 31st; 00:30 WITA, 01:30 WIT on 1 February


@pytest.fixture
def db(demo_template: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    data = copy_template(demo_template, tmp_path / "data")
    database = Database(data / "lumbung.sqlite3")
    database.start()
    yield database
    database.close()


def _deposit(conn, code: str) -> str:  # type: ignore[no-untyped-def]
    deposit = Deposit(
        id=str(uuid.uuid4()),
        code=code,
        member_id=1,
        savings_type="sukarela",
        kind="offline",
        amount=10_000,
        location_id=1,
        status="unverified",
        created_by=101,
        created_at=LATE,
    )
    savings.insert_deposit(conn, deposit)
    return deposit.code


@pytest.mark.parametrize(
    ("zone", "month", "on_first_of_february"),
    [("Asia/Jakarta", "2701", False), ("Asia/Makassar", "2702", True), ("Asia/Jayapura", "2702", True)],
)
def test_codes_and_history_dates_follow_the_stored_zone(
    db: Database, zone: str, month: str, on_first_of_february: bool
) -> None:
    from server.domain.timezone import zone as tz_of

    def write(conn):  # type: ignore[no-untyped-def]
        admin.save_time_zone(conn, zone)
        return _deposit(conn, savings.next_code(conn, "STR", LATE, tz_of(admin.time_zone(conn))))

    code = db.write_sync(write)
    assert code.startswith(f"STR-{month}-")
    board = reach(104, "pengurus", None, [])
    rows, _ = db.read_sync(
        lambda c: reads.history(
            c, "deposits", board, reads.HistoryFilter(date_from="2027-02-01", date_to="2027-02-01", page_size=100)
        )
    )
    assert (code in {r["code"] for r in rows}) is on_first_of_february
