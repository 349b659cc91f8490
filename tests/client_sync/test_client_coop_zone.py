"""Issue 10.10 on the device: client_sync dates in the cooperative's time zone, as the server published it.

At 2026-12-31 16:30 UTC it is still 31 December in Jakarta (WIB, 23:30) but already 1 January 2027 in
Jayapura (WIT, 01:30): a device of a cooperative in Jayapura must say so for every date a person sees
and every rule that uses one, and say WIB only while its replica has no zone from the server yet.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from client_sync import SyncClient
from client_sync.cli import DB_NAME, main
from client_sync.coop_time import coop_today, coop_when
from server.domain.timezone import zone
from server.protocol import LoanApply
from tests.documents.helpers import pdf_text
from tests.support.api import login

INSTANT = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
WIB_DAY, WIT_DAY = dt.date(2026, 12, 31), dt.date(2027, 1, 1)


def test_the_calendar_of_a_replica_row_is_pure() -> None:
    assert coop_today(None, INSTANT) == WIB_DAY  # no row yet: the server's default, WIB
    assert coop_today({"time_zone": "Asia/Jayapura"}, INSTANT) == WIT_DAY
    assert coop_today({"time_zone": "Asia/Makassar"}, INSTANT) == WIT_DAY  # WITA: 00:30 on 1 January
    assert coop_today({"time_zone": "Europe/Paris"}, INSTANT) == WIB_DAY  # not an Indonesian zone: the default
    assert coop_when(INSTANT.isoformat(), zone("Asia/Jayapura")) == "01-01-2027 01:30 WIT"
    assert coop_when("2026-12-31T16:30:00", zone(None)) == "31-12-2026 23:30 WIB"  # no offset: stored UTC


def test_a_device_of_a_cooperative_in_jayapura_dates_in_wit(fresh_server: Any, tmp_path: Path) -> None:
    device = SyncClient(tmp_path / DB_NAME, fresh_server.url, device_name="tes", clock=lambda: INSTANT)
    try:
        device.login("anggota03", "rahasia123")
        assert device.sync_once().ok
        # the admin never set a zone: the replica holds no coop_settings row, the device counts in WIB
        assert device.coop_zone.key == "Asia/Jakarta" and device.coop_today() == WIB_DAY
        assert device.simulate_loan(1, 5_000_000, 12).start_date == WIB_DAY

        admin = login(fresh_server.url, "admin")
        saved = admin.http.put("/api/admin/settings", json={"time_zone": "WIT"})
        assert saved.status_code == 200 and saved.json()["time_zone"] == "Asia/Jayapura"
        assert device.sync_once().ok
        assert device.coop_zone.key == "Asia/Jayapura" and device.coop_today() == WIT_DAY

        # Simulasi Pinjaman starts today, the cooperative's today; the first installment is due a month on
        schedule = device.simulate_loan(1, 5_000_000, 12)
        assert schedule.start_date == WIT_DAY and schedule.installments[0].due_date == dt.date(2027, 2, 1)
        # an application without a requested date asks for today in WIT (and is not "in the past" there)
        item = device.apply_loan(3, 1, "Pendidikan", 2_000_000, 6)
        assert isinstance(item.op, LoanApply) and item.op.requested_disbursement_date == WIT_DAY
        # a deduction change requested now takes effect at the payroll of the month after WIT's today
        device.request_deduction_change(3, 50_000)
        [change] = [c for c in device.deduction_changes(3) if c.status == "pending"]
        assert change.effective_month == "2027-02"  # WIB's today would give 2027-01
    finally:
        device.close()

    # the officer CLI prints the last sync in the cooperative's zone too
    out, err = io.StringIO(), io.StringIO()
    assert main(["--data-dir", str(tmp_path), "status"], out=out, err=err) == 0, err.getvalue()
    last_sync = next(line for line in out.getvalue().splitlines() if line.startswith("Sinkron terakhir"))
    assert last_sync.endswith(" WIT"), last_sync

    # and the server prints its documents in WIT
    statement = login(fresh_server.url, "anggota03").get(
        "/api/documents/savings-statement", savings_type="wajib", period_start="2020-01-01", period_end="2099-12-31"
    )
    text = pdf_text(statement.content)
    assert " WIT" in text and " WIB" not in text
