"""Onboarding members: the rules of a member record and of a member import, as pure functions.

A member (``anggota``, a person, or ``badan``, an organisation) has a number (the key a cooperative
uses everywhere, and the key of an import), a name, a location, and for payroll a birth date and a
category. An import is a table (CSV or XLSX rows as strings); every problem is reported with its
spreadsheet row number (the header is row 1) and nothing is imported until there is none. Planning
against the existing members is what makes a re-import idempotent: an unchanged row changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Literal

import msgspec
from msgspec import Struct

from server.errors import InvalidInput

__all__ = [
    "MemberInput",
    "MemberEdit",
    "MemberState",
    "Problem",
    "ImportPlan",
    "MAX_IMPORT_ROWS",
    "COLUMNS",
    "check_member",
    "apply_edit",
    "member_problems",
    "parse_rows",
    "plan_import",
]

NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{0,19}$")
MAX_IMPORT_ROWS = 50_000
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
"""How spreadsheets in Indonesia write dates: ISO, or day first."""

COLUMNS: dict[str, str] = {
    "nomor": "number",
    "no": "number",
    "no_anggota": "number",
    "nomor_anggota": "number",
    "number": "number",
    "nama": "name",
    "name": "name",
    "jenis": "kind",
    "kind": "kind",
    "lokasi": "location",
    "location": "location",
    "location_id": "location",
    "tanggal_lahir": "birth_date",
    "tgl_lahir": "birth_date",
    "birth_date": "birth_date",
    "kategori": "category",
    "category": "category",
}
"""Accepted column headings (case and spaces ignored) → field."""
REQUIRED = ("number", "name", "location")


class MemberInput(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A member as the admin types it (or an import row gives it)."""

    number: str
    name: str
    kind: Literal["anggota", "badan"] = "anggota"
    location_id: int
    birth_date: dt.date | None = None
    category: str = "karyawan"
    """Payroll category (``karyawan``, ``pns``, ``dosen``, …): decides the retirement age."""


class MemberEdit(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A change to a member: only the fields given change."""

    number: str | None = None
    name: str | None = None
    kind: Literal["anggota", "badan"] | None = None
    location_id: int | None = None
    birth_date: dt.date | None = None
    category: str | None = None


class MemberState(Struct, kw_only=True, frozen=True):
    """A stored member with its payroll facts: what an edit or an import compares against."""

    id: int
    number: str
    name: str
    kind: Literal["anggota", "badan"]
    location_id: int
    active: bool = True
    birth_date: dt.date | None = None
    category: str = "karyawan"

    def as_input(self) -> MemberInput:
        return MemberInput(
            number=self.number,
            name=self.name,
            kind=self.kind,
            location_id=self.location_id,
            birth_date=self.birth_date,
            category=self.category,
        )


class Problem(Struct, frozen=True):
    """One problem of an import, by spreadsheet row (1 is the header)."""

    row: int
    field: str
    code: str
    message: str
    value: str = ""


class ImportPlan(Struct, frozen=True):
    create: list[MemberInput]
    update: list[tuple[MemberState, MemberInput]]
    unchanged: int


def member_problems(spec: MemberInput, categories: Iterable[str], today: dt.date) -> list[tuple[str, str, str]]:
    """Every rule a member breaks, as ``(field, code, message)``; empty when the member is fine."""
    out: list[tuple[str, str, str]] = []
    if not NUMBER.fullmatch(spec.number):
        out.append(
            (
                "number",
                "member_number_invalid",
                "Nomor anggota 1-20 karakter: huruf, angka, titik, garis miring atau tanda hubung.",
            )
        )
    if not spec.name.strip() or len(spec.name) > 200:
        out.append(("name", "name_invalid", "Nama wajib diisi (paling panjang 200 karakter)."))
    if spec.birth_date is not None and not dt.date(1900, 1, 1) <= spec.birth_date < today:
        out.append(("birth_date", "birth_date_invalid", "Tanggal lahir harus setelah 1900 dan sebelum hari ini."))
    allowed = sorted(categories)
    if spec.category not in allowed:
        out.append(("category", "category_invalid", f"Kategori harus salah satu dari: {', '.join(allowed)}."))
    return out


def check_member(spec: MemberInput, categories: Iterable[str], today: dt.date) -> MemberInput:
    """The member with its name trimmed, or ``InvalidInput`` with the first broken rule's code."""
    problems = member_problems(spec, categories, today)
    if problems:
        field, code, message = problems[0]
        raise InvalidInput(code, message, {"field": field})
    return msgspec.structs.replace(spec, number=spec.number.strip(), name=" ".join(spec.name.split()))


def apply_edit(state: MemberState, edit: MemberEdit) -> MemberInput:
    """The member as it will be after an edit (unchecked: pass it to ``check_member``)."""
    given = {f: getattr(edit, f) for f in edit.__struct_fields__ if getattr(edit, f) is not None}
    return msgspec.structs.replace(state.as_input(), **given)


# --- import -------------------------------------------------------------------------------------


def _heading(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def _date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_rows(
    header: list[str],
    rows: Iterable[tuple[int, list[str]]],
    locations: Mapping[str, int],
    categories: Iterable[str],
    today: dt.date,
) -> tuple[list[MemberInput], list[Problem]]:
    """Turn a table into members, collecting every problem of every row.

    ``rows`` are ``(spreadsheet row number, cells as text)``; wholly blank rows are skipped.
    ``locations`` maps a location's id (as text) and its lower-cased name to its id, so a sheet may
    name either. A number that appears twice is a problem on each later row.
    """
    problems: list[Problem] = []
    fields = [COLUMNS.get(_heading(h)) for h in header]
    for needed in REQUIRED:
        if needed not in fields:
            problems.append(Problem(1, needed, "column_missing", f"Kolom '{needed}' tidak ada di baris judul."))
    if problems:
        return [], problems
    categories = list(categories)
    specs: list[MemberInput] = []
    first_row: dict[str, int] = {}
    count = 0
    for number, cells in rows:
        values: dict[str, str] = {}
        for field, cell in zip(fields, cells, strict=False):
            if field is not None and field not in values:
                values[field] = (cell or "").strip()
        if not any(values.values()):
            continue
        count += 1
        if count > MAX_IMPORT_ROWS:
            problems.append(
                Problem(number, "", "import_too_large", f"Paling banyak {MAX_IMPORT_ROWS} baris sekali impor.")
            )
            break
        row_problems: list[Problem] = []

        def bad(
            field: str,
            code: str,
            message: str,
            row: int = number,
            found: list[Problem] = row_problems,
            cells: dict[str, str] = values,
        ) -> None:
            found.append(Problem(row, field, code, message, cells.get(field, "")))

        kind = values.get("kind", "").lower() or "anggota"
        if kind not in ("anggota", "badan"):
            bad("kind", "kind_invalid", "Jenis harus 'anggota' atau 'badan'.")
        location_text = values.get("location", "")
        location_id = locations.get(location_text.lower(), locations.get(location_text))
        if location_id is None:
            bad("location", "location_not_found", f"Lokasi '{location_text}' tidak dikenal.")
        birth: dt.date | None = None
        if values.get("birth_date"):
            try:
                birth = _date(values["birth_date"])
            except ValueError:
                bad(
                    "birth_date", "date_invalid", "Tanggal lahir tidak dapat dibaca (pakai YYYY-MM-DD atau DD/MM/YYYY)."
                )
        spec = MemberInput(
            number=values.get("number", ""),
            name=" ".join(values.get("name", "").split()),
            kind=kind if kind in ("anggota", "badan") else "anggota",  # type: ignore[arg-type]  # narrowed to the Literal by the test, which mypy cannot see
            location_id=location_id or 0,
            birth_date=birth,
            category=values.get("category", "").lower() or "karyawan",
        )
        for field, code, message in member_problems(spec, categories, today):
            bad(field, code, message)
        if spec.number in first_row:
            bad(
                "number",
                "duplicate_number",
                f"Nomor anggota {spec.number} sudah ada di baris {first_row[spec.number]}.",
            )
        elif spec.number:
            first_row[spec.number] = number
        problems += row_problems
        if not row_problems:
            specs.append(spec)
    return specs, problems


def plan_import(specs: list[MemberInput], existing: Mapping[str, MemberState]) -> ImportPlan:
    """What an import will do, keyed on the member number: create, update (before, after), or nothing."""
    create: list[MemberInput] = []
    update: list[tuple[MemberState, MemberInput]] = []
    unchanged = 0
    for spec in specs:
        before = existing.get(spec.number)
        if before is None:
            create.append(spec)
        elif before.as_input() != spec:
            update.append((before, spec))
        else:
            unchanged += 1
    return ImportPlan(create, update, unchanged)
