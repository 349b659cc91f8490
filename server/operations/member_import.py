"""Member import from a spreadsheet (CSV or XLSX), with a dry run; shared by the admin API and
``lumbung-server import-members``.

Reading the file is here (csv, openpyxl); the rules are in ``server/domain/members.py``; the SQL in
``server/storage/admin.py``. An import is one write task: every row is checked first, and if any row
has a problem nothing is written (the report lists every problem by row). A re-import of the same
file changes nothing: the member number is the key, and an unchanged row is left alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from msgspec import Struct

from server.domain import members as rules
from server.domain.timezone import local_date, zone
from server.errors import InvalidInput
from server.storage import admin as store
from server.storage.interface import ReadTx, Tx

__all__ = ["Table", "ImportReport", "read_table", "check_import", "run_import"]

XLSX_MAGIC = b"PK\x03\x04"


class Table(Struct, frozen=True):
    header: list[str]
    rows: list[tuple[int, list[str]]]
    """(spreadsheet row number, cells as text)."""


class ImportReport(Struct):
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    problems: list[rules.Problem]
    applied: bool
    """True only when the import was written (not a dry run, no problem)."""


def _text(cell: Any) -> str:
    """A spreadsheet cell as text: dates as ISO, whole numbers without ``.0`` (member numbers typed as numbers)."""
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("import_file_unreadable", "Berkas CSV harus teks UTF-8.") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # Excel in Indonesian locale writes ';'
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:  # a NUL byte, a field over the csv module's limit
        raise InvalidInput(
            "import_file_unreadable", "Berkas CSV tidak dapat dibaca.", {"error": str(exc)[:200]}
        ) from None
    if not rows:
        raise InvalidInput("import_file_empty", "Berkas impor kosong.")
    return Table(rows[0], [(i, r) for i, r in enumerate(rows[1:], start=2)])


def _xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken file; all mean "unreadable"
        raise InvalidInput(
            "import_file_unreadable", "Berkas XLSX tidak dapat dibaca.", {"error": str(exc)[:200]}
        ) from None
    try:
        sheet = book.worksheets[0]
        it: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            raise InvalidInput("import_file_empty", "Berkas impor kosong.")
        rows = [(i, [_text(c) for c in r]) for i, r in enumerate(it, start=2)]
    except InvalidInput:
        raise
    except Exception as exc:  # noqa: BLE001 - as above: whatever a broken sheet raises means "unreadable"
        raise InvalidInput(
            "import_file_unreadable", "Berkas XLSX tidak dapat dibaca.", {"error": str(exc)[:200]}
        ) from None
    finally:
        book.close()
    return Table([_text(c) for c in header], rows)


def read_table(data: bytes, kind: str | None = None) -> Table:
    """A CSV or XLSX file's first sheet as text cells; ``kind`` (``csv``/``xlsx``) or guessed from the bytes."""
    if not data:
        raise InvalidInput("import_file_empty", "Berkas impor kosong.")
    if kind is None:
        kind = "xlsx" if data.startswith(XLSX_MAGIC) else "csv"
    if kind not in ("csv", "xlsx"):
        raise InvalidInput("import_format_invalid", "Format impor harus csv atau xlsx.")
    return _xlsx(data) if kind == "xlsx" else _csv(data)


def check_import(
    conn: ReadTx, table: Table, categories: list[str], now: dt.datetime
) -> tuple[list[rules.MemberInput], list[rules.Problem], rules.ImportPlan]:
    """Every problem of the table against the database now, and what the import would do."""
    tz: ZoneInfo = zone(store.time_zone(conn))
    specs, problems = rules.parse_rows(
        table.header, table.rows, store.location_map(conn), categories, local_date(now, tz)
    )
    plan = rules.plan_import(specs, store.member_states(conn))
    return specs, problems, plan


def _report(
    table: Table, plan: rules.ImportPlan, problems: list[rules.Problem], *, dry_run: bool, applied: bool
) -> ImportReport:
    rows = sum(1 for _, cells in table.rows if any(c.strip() for c in cells))
    return ImportReport(dry_run, rows, len(plan.create), len(plan.update), plan.unchanged, problems, applied)


def dry_run(conn: ReadTx, table: Table, categories: list[str], now: dt.datetime) -> ImportReport:
    _, problems, plan = check_import(conn, table, categories, now)
    return _report(table, plan, problems, dry_run=True, applied=False)


def run_import(conn: Tx, table: Table, categories: list[str], user_id: int, now: dt.datetime) -> ImportReport:
    """Check again inside the write (the database may have moved since the dry run), then write all or nothing.

    A table with problems raises ``InvalidInput("import_has_problems")`` with the report in its detail.
    """
    _, problems, plan = check_import(conn, table, categories, now)
    if problems:
        report = _report(table, plan, problems, dry_run=False, applied=False)
        raise InvalidInput(
            "import_has_problems",
            f"Impor dibatalkan: {len(problems)} masalah; tidak ada yang diimpor.",
            {"problems": [_problem(p) for p in problems[:1000]], "problem_count": len(problems), "rows": report.rows},
        )
    for spec in plan.create:
        created = store.create_member(conn, spec, user_id, now)
        store.record_audit(
            conn,
            user_id=user_id,
            action="member.import",
            entity="member",
            entity_id=created.id,
            before=None,
            after=created,
            at=now,
        )
    for before, spec in plan.update:
        after = store.update_member(conn, before, spec, user_id, now)
        store.record_audit(
            conn,
            user_id=user_id,
            action="member.import",
            entity="member",
            entity_id=before.id,
            before=before,
            after=after,
            at=now,
        )
    return _report(table, plan, problems, dry_run=False, applied=True)


def _problem(p: rules.Problem) -> dict[str, Any]:
    return {"row": p.row, "field": p.field, "code": p.code, "message": p.message, "value": p.value}
