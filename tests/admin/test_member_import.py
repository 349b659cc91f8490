"""Member import over HTTP and from the command line: every problem by row and nothing changed, then
one import, then a re-import that changes nothing; XLSX as a spreadsheet saves it; 10,000 rows."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from server.cli import main as cli_main
from tests.support.api import ApiSession, login
from tests.support.servers import ThreadServer

HEADER = "Nomor;Nama;Jenis;Lokasi;Tanggal Lahir;Kategori\n"
BAD_CSV = HEADER + (
    "K-001;Ahmad Fauzi;anggota;Kantor Pusat;1985-03-12;karyawan\n"
    "K-001;Ahmad Lagi;anggota;Kantor Pusat;;karyawan\n"  # row 3: duplicate number
    "K-002;Bella Putri;anggota;Gudang Timur;1990-01-01;\n"  # row 4: unknown location
    "K-003;Candra;anggota;2;31/02/1991;karyawan\n"  # row 5: bad date
    "K-004;Paguyuban Sopir;badan;Pabrik Sukoharjo;;\n"
)
GOOD_CSV = HEADER + (
    "K-001;Ahmad Fauzi;anggota;Kantor Pusat;1985-03-12;karyawan\n"
    "K-002;Bella Putri;anggota;1;1990-01-01;\n"
    "K-003;Candra;anggota;2;28/02/1991;pns\n"
    "K-004;Paguyuban Sopir;badan;Pabrik Sukoharjo;;\n"
)


def _import(session: ApiSession, body: bytes, **params: Any) -> httpx.Response:
    return session.http.post(
        "/api/admin/members/import", params=params, content=body, headers={"content-type": "application/octet-stream"}
    )


def _counts(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as conn:
        return tuple(
            conn.execute(  # type: ignore[return-value]
                "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM changes), (SELECT count(*) FROM audit_log)"
            ).fetchone()
        )


def test_a_file_with_bad_rows_reports_every_problem_and_changes_nothing_then_imports_once(
    fresh_server: ThreadServer,
) -> None:
    admin = login(fresh_server.url, "admin")
    before = _counts(fresh_server.db_path)
    dry = _import(admin, BAD_CSV.encode())  # dry run is the default
    assert dry.status_code == 200
    report = dry.json()
    assert report["dry_run"] is True and report["applied"] is False and report["rows"] == 5
    assert {(p["row"], p["code"]) for p in report["problems"]} == {
        (3, "duplicate_number"),
        (4, "location_not_found"),
        (5, "date_invalid"),
    }
    refused = _import(admin, BAD_CSV.encode(), dry_run="false")
    assert refused.status_code == 422 and refused.json()["code"] == "import_has_problems"
    assert len(refused.json()["detail"]["problems"]) == 3
    assert _counts(fresh_server.db_path) == before

    clean_dry = _import(admin, GOOD_CSV.encode()).json()
    assert (clean_dry["created"], clean_dry["problems"]) == (4, [])
    assert _counts(fresh_server.db_path) == before
    done = _import(admin, GOOD_CSV.encode(), dry_run="false").json()
    assert (done["applied"], done["created"], done["updated"], done["unchanged"]) == (True, 4, 0, 0)
    members, changes, audits = _counts(fresh_server.db_path)
    assert members == before[0] + 4 and audits == before[2] + 4

    again = _import(admin, GOOD_CSV.encode(), dry_run="false").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    assert _counts(fresh_server.db_path) == (members, changes, audits)  # idempotent: not even a feed entry

    officer = login(fresh_server.url, "petugas3")  # location 2: Candra and the badan
    mine = {c["data"]["number"] for c in officer.pull_all() if c["entity"] == "member"}
    assert {"K-003", "K-004"} <= mine and not {"K-001", "K-002"} & mine
    with sqlite3.connect(fresh_server.db_path) as conn:
        assert conn.execute("SELECT kind FROM members WHERE number = 'K-004'").fetchone()[0] == "badan"
        assert conn.execute(
            "SELECT p.birth_date, p.category FROM payroll_profiles p JOIN members m ON m.id = p.member_id"
            " WHERE m.number = 'K-003'"
        ).fetchone() == ("1991-02-28", "pns")

    changed = GOOD_CSV.replace("Bella Putri;anggota;1", "Bella Putri Lestari;anggota;1")
    update = _import(admin, changed.encode(), dry_run="false").json()
    assert (update["created"], update["updated"], update["unchanged"]) == (0, 1, 3)
    audit = login(fresh_server.url, "pengurus1").get("/api/audit", entity="member").json()[0]
    assert (audit["action"], audit["before"]["name"], audit["after"]["name"]) == (
        "member.import",
        "Bella Putri",
        "Bella Putri Lestari",
    )


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_with_dates_and_numbers_as_cells_imports_like_the_csv(fresh_server: ThreadServer) -> None:
    admin = login(fresh_server.url, "admin")
    data = _xlsx(
        [
            ["No Anggota", "Nama", "Lokasi", "Tanggal Lahir"],
            [5001, "Dian Sastro", "Kantor Pusat", dt.datetime(1982, 3, 27)],
            [5002.0, "Eka Wijaya", 2, None],
            [None, None, None, None],
            [5003, "Fajar", "Kantor Cabang", "1999-13-01"],
        ]
    )
    report = _import(admin, data).json()
    assert {(p["row"], p["code"]) for p in report["problems"]} == {(5, "location_not_found"), (5, "date_invalid")}
    ok = _import(
        admin,
        _xlsx(
            [
                ["No Anggota", "Nama", "Lokasi", "Tanggal Lahir"],
                [5001, "Dian Sastro", "Kantor Pusat", dt.datetime(1982, 3, 27)],
            ]
        ),
        dry_run="false",
    )
    assert ok.json()["created"] == 1
    with sqlite3.connect(fresh_server.db_path) as conn:
        assert conn.execute(
            "SELECT p.birth_date FROM payroll_profiles p JOIN members m ON m.id = p.member_id WHERE m.number = '5001'"
        ).fetchone() == ("1982-03-27",)
    broken = _import(admin, b"PK\x03\x04not really a zip", format="xlsx")
    assert broken.status_code == 422 and broken.json()["code"] == "import_file_unreadable"
    nul = _import(admin, b"nomor,nama,lokasi\nA\x00,B,1\n")
    assert [p["code"] for p in nul.json()["problems"]] == ["member_number_invalid"]
    latin = _import(admin, "nomor,nama,lokasi\nA9,Ren\xe9,1\n".encode("latin-1"))
    assert latin.status_code == 422 and latin.json()["code"] == "import_file_unreadable"
    empty = _import(admin, b"")
    assert empty.status_code == 422 and empty.json()["code"] == "import_file_empty"
    missing = _import(admin, b"nama,lokasi\nX,1\n")
    assert missing.json()["problems"][0]["code"] == "column_missing"


def test_ten_thousand_rows_import_in_bounded_time_and_reimport_changes_nothing(fresh_server: ThreadServer) -> None:
    admin = login(fresh_server.url, "admin")
    lines = ["nomor,nama,jenis,lokasi,tanggal_lahir,kategori"]
    lines += [
        f"M{i:05d},Anggota Nomor {i},anggota,{1 + i % 2},19{60 + i % 40}-0{1 + i % 9}-1{i % 10},karyawan"
        for i in range(10_000)
    ]
    body = ("\n".join(lines) + "\n").encode()
    started = time.monotonic()
    dry = _import(admin, body).json()
    assert (dry["rows"], dry["created"], dry["problems"]) == (10_000, 10_000, [])
    done = _import(admin, body, dry_run="false").json()
    elapsed = time.monotonic() - started
    assert done["applied"] and done["created"] == 10_000
    assert elapsed < 120, f"10,000 rows took {elapsed:.1f} s"
    counts = _counts(fresh_server.db_path)
    again = _import(admin, body, dry_run="false").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 10_000)
    assert _counts(fresh_server.db_path) == counts
    assert [
        {k: r[k] for k in ("number", "name", "kind")} for r in admin.get("/api/directory/members", q="M09999").json()
    ] == [{"number": "M09999", "name": "Anggota Nomor 9999", "kind": "anggota"}]


def test_the_command_line_import_has_a_dry_run_and_records_the_admin(
    demo_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.servers import copy_template

    data = copy_template(demo_template, tmp_path / "data")
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(BAD_CSV)
    good.write_text(GOOD_CSV)
    before = _counts(data / "lumbung.sqlite3")
    assert cli_main(["--data-dir", str(data), "import-members", str(bad), "--dry-run"]) == 1
    out = capsys.readouterr()
    assert "baris 3: number" in out.out and "duplicate_number" in out.out and "Tidak ada yang diimpor" in out.err
    assert cli_main(["--data-dir", str(data), "import-members", str(bad)]) == 1
    assert _counts(data / "lumbung.sqlite3") == before
    assert cli_main(["--data-dir", str(data), "import-members", str(good), "--dry-run"]) == 0
    assert "Uji coba" in capsys.readouterr().out
    assert cli_main(["--data-dir", str(data), "import-members", str(good), "--by", "admin"]) == 0
    assert "4 anggota baru" in capsys.readouterr().out
    with sqlite3.connect(data / "lumbung.sqlite3") as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id"
                " WHERE u.username = 'admin' AND a.action = 'member.import'"
            ).fetchone()[0]
            == 4
        )
    assert cli_main(["--data-dir", str(data), "import-members", str(good), "--by", "nobody"]) == 1
    assert "admin_not_found" in capsys.readouterr().err
    assert cli_main(["--data-dir", str(data), "time-zone", "WITA"]) == 0
    assert "WITA (Asia/Makassar)" in capsys.readouterr().out
    assert cli_main(["--data-dir", str(data), "time-zone", "UTC"]) == 1
    assert "time_zone_invalid" in capsys.readouterr().err
    assert cli_main(["--data-dir", str(data), "time-zone"]) == 0
    assert "WITA" in capsys.readouterr().out
