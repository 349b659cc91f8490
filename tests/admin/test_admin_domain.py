"""Pure rules of administration: member records, import rows, the board, the time zone and codes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from server.domain import board, members
from server.domain.deposits import create_deposit
from server.domain.models import Actor, BankAccount, Limits, Member, SavingsType
from server.domain.timezone import ZONES, check_zone, local_date, transaction_code, utc_offset_modifier
from server.errors import InvalidInput

TODAY = dt.date(2026, 12, 1)
CATEGORIES = ["dosen", "karyawan", "pns"]
LOCATIONS = {"1": 1, "kantor pusat": 1, "2": 2, "pabrik sukoharjo": 2}
HEADER = ["Nomor", "Nama", "Jenis", "Lokasi", "Tanggal Lahir", "Kategori"]


def parse(rows: list[list[str]], header: list[str] = HEADER) -> tuple[list[members.MemberInput], list[members.Problem]]:
    return members.parse_rows(header, list(enumerate(rows, start=2)), LOCATIONS, CATEGORIES, TODAY)


def test_every_bad_row_is_reported_with_its_spreadsheet_row_and_field() -> None:
    specs, problems = parse(
        [
            ["A1", "Budi", "anggota", "Kantor Pusat", "1980-02-03", "karyawan"],
            ["A1", "Budi Lagi", "anggota", "1", "", ""],
            ["A2", "Siti", "anggota", "Gudang Timur", "31/02/1990", "karyawan"],
            ["A3", "", "koperasi", "2", "", "petani"],
            ["", "", "", "", "", ""],
            ["B1", "Paguyuban", "badan", "pabrik sukoharjo", "03-04-1975", "pns"],
        ]
    )
    found = {(p.row, p.field, p.code) for p in problems}
    assert found == {
        (3, "number", "duplicate_number"),
        (4, "location", "location_not_found"),
        (4, "birth_date", "date_invalid"),
        (5, "kind", "kind_invalid"),
        (5, "name", "name_invalid"),
        (5, "category", "category_invalid"),
    }
    assert [s.number for s in specs] == ["A1", "B1"]
    assert specs[1].birth_date == dt.date(1975, 4, 3) and specs[1].kind == "badan" and specs[1].location_id == 2


def test_a_missing_required_column_is_a_header_problem() -> None:
    _, problems = parse([["A1", "Budi"]], header=["Nomor", "Nama"])
    assert [(p.row, p.code, p.field) for p in problems] == [(1, "column_missing", "location")]


def test_a_future_birth_date_and_a_bad_number_are_refused() -> None:
    _, problems = parse([["A 1", "Budi", "", "1", "2030-01-01", ""]])
    assert {p.code for p in problems} == {"member_number_invalid", "birth_date_invalid"}


def test_import_plan_is_keyed_on_number_and_unchanged_rows_do_nothing() -> None:
    specs, _ = parse(
        [["A1", "Budi", "", "1", "", ""], ["A2", "Siti Baru", "", "2", "", ""], ["A3", "Agus", "", "1", "", ""]]
    )
    existing = {
        "A1": members.MemberState(id=1, number="A1", name="Budi", kind="anggota", location_id=1),
        "A2": members.MemberState(id=2, number="A2", name="Siti", kind="anggota", location_id=2),
    }
    plan = members.plan_import(specs, existing)
    assert [s.number for s in plan.create] == ["A3"]
    assert [(b.name, a.name) for b, a in plan.update] == [("Siti", "Siti Baru")]
    assert plan.unchanged == 1


def test_check_member_raises_the_first_broken_rule_with_a_stable_code() -> None:
    spec = members.MemberInput(number="A9", name="  Budi   Santoso ", location_id=1, category="petani")
    with pytest.raises(InvalidInput) as refused:
        members.check_member(spec, CATEGORIES, TODAY)
    assert refused.value.code == "category_invalid"
    ok = members.check_member(members.MemberInput(number="A9", name=" Budi  Santoso", location_id=1), CATEGORIES, TODAY)
    assert ok.name == "Budi Santoso"


def test_board_positions_are_checked_and_listed_in_order_of_rank() -> None:
    start, end = dt.date(2025, 1, 1), dt.date(2029, 12, 31)
    ketua = board.check_position(
        2, board.BoardPositionInput(body="pengurus", position="Ketua", name="Hadi", term_start=start, term_end=end)
    )
    pengawas = board.check_position(
        1, board.BoardPositionInput(body="pengawas", position="Ketua", name="Rina", term_start=start, term_end=end)
    )
    bendahara = board.check_position(
        3, board.BoardPositionInput(body="pengurus", position="Bendahara", name="Sri", term_start=start, term_end=end)
    )
    old = board.check_position(
        4,
        board.BoardPositionInput(
            body="pengurus",
            position="Ketua",
            name="Lama",
            term_start=dt.date(2015, 1, 1),
            term_end=dt.date(2019, 12, 31),
        ),
    )
    assert [p.name for p in board.current_board([pengawas, bendahara, old, ketua], TODAY)] == ["Hadi", "Sri", "Rina"]
    for bad, code in [
        (dict(body="pengurus", position="Raja", name="X", term_start=start, term_end=end), "board_position_invalid"),
        (
            dict(body="pengawas", position="Bendahara", name="X", term_start=start, term_end=end),
            "board_position_invalid",
        ),
        (dict(body="pengurus", position="Ketua", name=" ", term_start=start, term_end=end), "name_invalid"),
        (dict(body="pengurus", position="Ketua", name="X", term_start=end, term_end=start), "term_invalid"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            board.check_position(9, board.BoardPositionInput(**bad))
        assert refused.value.code == code


def test_time_zone_labels_and_names_are_accepted_and_nothing_else() -> None:
    assert check_zone("wita") == "Asia/Makassar" and check_zone("Asia/Jayapura") == "Asia/Jayapura"
    for bad in ("UTC", "Asia/Singapore", "", "WET"):
        with pytest.raises(InvalidInput) as refused:
            check_zone(bad)
        assert refused.value.code == "time_zone_invalid"
    assert [utc_offset_modifier(ZoneInfo(n)) for n in ZONES.values()] == ["+7 hours", "+8 hours", "+9 hours"]


@pytest.mark.parametrize(
    ("utc_time", "expected"),
    [
        # 15:30 UTC on 31 January: 22:30 WIB, 23:30 WITA, 00:30 WIT (1 February)
        (dt.time(15, 30), {"WIB": "2701", "WITA": "2701", "WIT": "2702"}),
        # 16:30 UTC: 23:30 WIB (still January), 00:30 WITA and 01:30 WIT (February)
        (dt.time(16, 30), {"WIB": "2701", "WITA": "2702", "WIT": "2702"}),
        # 17:30 UTC: already 1 February in all three zones
        (dt.time(17, 30), {"WIB": "2702", "WITA": "2702", "WIT": "2702"}),
    ],
)
def test_a_deposit_late_on_the_last_day_of_a_month_takes_the_month_of_the_cooperatives_zone(
    utc_time: dt.time, expected: dict[str, str]
) -> None:
    now = dt.datetime.combine(dt.date(2027, 1, 31), utc_time, dt.UTC)
    for label, name in ZONES.items():
        assert transaction_code("STR", 7, now, ZoneInfo(name)) == f"STR-{expected[label]}-000007", label
        assert local_date(now, ZoneInfo(name)).month == int(expected[label][2:])


def test_a_transfer_dated_today_in_wit_is_not_in_the_future_though_wib_is_still_yesterday() -> None:
    now = dt.datetime(2027, 1, 31, 16, 30, tzinfo=dt.UTC)  # 23:30 WIB on the 31st, 01:30 WIT on 1 Feb
    member = Member(1, "A1", "Budi", "anggota", 1)
    args = dict(
        deposit_id="d1",
        code="STR-2702-000001",
        actor=Actor(1, "anggota", member_id=1),
        member=member,
        savings_type=SavingsType("sukarela", "Sukarela", True),
        kind="mandiri",
        amount=50_000,
        location_id=1,
        limits=Limits(),
        now=now,
        bank_account=BankAccount(1, "BRI", "123", "Koperasi"),
        transfer_date=dt.date(2027, 2, 1),
        sender_bank="BCA",
        account_holder="Budi",
        attachment="ab" * 32,
    )
    with pytest.raises(InvalidInput) as wib:
        create_deposit(**args)  # type: ignore[arg-type]
    assert wib.value.code == "transfer_date_in_future"
    deposit = create_deposit(**args, tz=ZoneInfo("Asia/Jayapura"))  # type: ignore[arg-type]
    assert deposit.transfer_date == dt.date(2027, 2, 1)
