"""SQL of administration: members as the admin edits them, reference data, the board structure, the
cooperative's settings, the audit log and the member directory.

Every save of a replicated row appends its change to the feed in the same transaction (through
``record_change``), so devices see what the admin did; every admin action also appends an
``audit_log`` row (who, when, what, before → after) in that transaction.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import msgspec

from server.domain.board import BoardPosition
from server.domain.members import MemberInput, MemberState
from server.domain.models import BankAccount, Member, SavingsType
from server.domain.timezone import DEFAULT_ZONE, label

from . import loans as loan_store
from . import savings
from .database import Connection
from .feed import PUBLIC, Scope, record_change

__all__ = [
    "time_zone",
    "save_time_zone",
    "coop_settings",
    "record_audit",
    "audit_entries",
    "member_state",
    "member_states",
    "number_taken",
    "create_member",
    "update_member",
    "location_map",
    "load_location",
    "location_name_taken",
    "save_location",
    "save_savings_type",
    "save_bank_account",
    "load_board_position",
    "save_board_position",
    "board_positions",
    "directory",
    "admin_user_id",
    "list_users",
    "update_user",
]

_encode = msgspec.json.Encoder().encode


# --- the cooperative's settings -----------------------------------------------------------------


def time_zone(conn: sqlite3.Connection) -> str:
    """The cooperative's IANA zone name (WIB when never set)."""
    row = conn.execute("SELECT value FROM coop_settings WHERE key = 'time_zone'").fetchone()
    return DEFAULT_ZONE if row is None else str(row[0])


def coop_settings(conn: sqlite3.Connection) -> dict[str, str]:
    """The settings devices need, as published in the feed (``coop_settings``)."""
    name = time_zone(conn)
    return {"time_zone": name, "time_zone_label": label(name)}


def save_time_zone(conn: Connection, name: str) -> dict[str, str]:
    conn.execute(
        "INSERT INTO coop_settings (key, value) VALUES ('time_zone', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (name,),
    )
    current = coop_settings(conn)
    record_change(conn, "coop_settings", "current", current, PUBLIC)
    return current


# --- the audit log ------------------------------------------------------------------------------


def record_audit(
    conn: Connection,
    *,
    user_id: int,
    action: str,
    entity: str,
    entity_id: str | int,
    before: Any,
    after: Any,
    at: dt.datetime,
) -> None:
    """Append one admin action; ``before``/``after`` are structs or dicts (None: created / removed)."""
    conn.execute(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            at.isoformat(),
            user_id,
            action,
            entity,
            str(entity_id),
            None if before is None else _encode(before).decode(),
            None if after is None else _encode(after).decode(),
        ),
    )


def audit_entries(
    conn: sqlite3.Connection, *, entity: str | None, entity_id: str | None, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first; page with ``before_id`` (the smallest id of the last page)."""
    clauses: list[str] = ["1 = 1"]
    params: list[str | int] = []
    for column, value in (("a.entity", entity), ("a.entity_id", entity_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if before_id is not None:
        clauses.append("a.id < ?")
        params.append(before_id)
    rows = conn.execute(
        "SELECT a.id, a.at, a.user_id, u.username, u.name AS user_name, a.action, a.entity, a.entity_id,"
        " a.before, a.after FROM audit_log a JOIN users u ON u.id = a.user_id"
        f" WHERE {' AND '.join(clauses)} ORDER BY a.id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    out = []
    for r in rows:
        item = dict(r)
        item["before"] = None if r["before"] is None else msgspec.json.decode(r["before"])
        item["after"] = None if r["after"] is None else msgspec.json.decode(r["after"])
        out.append(item)
    return out


# --- members ------------------------------------------------------------------------------------

_MEMBER_STATE = (
    "SELECT m.id, m.number, m.name, m.kind, m.location_id, m.active, p.birth_date, coalesce(p.category, 'karyawan')"
    " AS category FROM members m LEFT JOIN payroll_profiles p ON p.member_id = m.id"
)


def _state(row: sqlite3.Row) -> MemberState:
    return msgspec.convert(dict(row), MemberState, strict=False)


def member_state(conn: sqlite3.Connection, member_id: int) -> MemberState | None:
    row = conn.execute(f"{_MEMBER_STATE} WHERE m.id = ?", (member_id,)).fetchone()
    return None if row is None else _state(row)


def member_states(conn: sqlite3.Connection) -> dict[str, MemberState]:
    """Every member by number: what an import plans against."""
    return {str(r["number"]): _state(r) for r in conn.execute(_MEMBER_STATE)}


def number_taken(conn: sqlite3.Connection, number: str, member_id: int | None = None) -> bool:
    row = conn.execute("SELECT id FROM members WHERE number = ?", (number,)).fetchone()
    return row is not None and int(row[0]) != member_id


def _save_payroll_facts(conn: Connection, member_id: int, spec: MemberInput, set_by: int, now: dt.datetime) -> None:
    profile = loan_store.load_profile(conn, member_id)
    if (profile.birth_date, profile.category) != (spec.birth_date, spec.category):
        changed = msgspec.structs.replace(profile, birth_date=spec.birth_date, category=spec.category)
        loan_store.save_profile(conn, changed, set_by, now)


def create_member(conn: Connection, spec: MemberInput, set_by: int, now: dt.datetime) -> MemberState:
    """A new member (id after every existing one), published to their location's officers."""
    member_id = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM members").fetchone()[0])
    member = Member(member_id, spec.number, spec.name, spec.kind, spec.location_id, True)
    savings.insert_member(conn, member, now.isoformat())
    _save_payroll_facts(conn, member_id, spec, set_by, now)
    return MemberState(id=member_id, **msgspec.structs.asdict(spec))


MEMBER_SCOPED = ("member", "savings_account", "payroll_profile", "ledger_entry", "deduction_change")
"""Feed entities scoped by the member's *current* location (transactions and loans keep their own)."""


def update_member(
    conn: Connection, before: MemberState, spec: MemberInput, set_by: int, now: dt.datetime
) -> MemberState:
    """Change a member.

    A member moved to another location changes who may see their member-scoped rows: those rows'
    past changes take the new location (so the old location's officers can no longer pull them and
    the new one's can), and the officers of both locations are told to rebuild (``scope_changed``).
    """
    member = Member(before.id, spec.number, spec.name, spec.kind, spec.location_id, before.active)
    conn.execute(
        "UPDATE members SET number = ?, name = ?, kind = ?, location_id = ? WHERE id = ?",
        (member.number, member.name, member.kind, member.location_id, member.id),
    )
    record_change(conn, "member", member.id, member, Scope(member=member.id, location=member.location_id))
    _save_payroll_facts(conn, member.id, spec, set_by, now)
    if before.location_id != spec.location_id:
        marks = ",".join("?" for _ in MEMBER_SCOPED)
        conn.execute(
            f"UPDATE changes SET scope_location = ? WHERE scope_member = ? AND entity IN ({marks})",
            (spec.location_id, member.id, *MEMBER_SCOPED),
        )
        officers = [
            int(r[0])
            for r in conn.execute(
                "SELECT DISTINCT user_id FROM officer_locations WHERE location_id IN (?, ?)",
                (before.location_id, spec.location_id),
            )
        ]
        for user_id in officers:
            conn.execute("UPDATE users SET scope_gen = scope_gen + 1 WHERE id = ?", (user_id,))
            conn.touched.add(("user", user_id))
    return MemberState(id=before.id, active=before.active, **msgspec.structs.asdict(spec))


# --- reference data -----------------------------------------------------------------------------


def location_map(conn: sqlite3.Connection) -> dict[str, int]:
    """Each location by its id (as text) and by its lower-cased name: how an import may name one."""
    out: dict[str, int] = {}
    for r in conn.execute("SELECT id, name FROM locations"):
        out[str(r[0])] = int(r[0])
        out[str(r[1]).strip().lower()] = int(r[0])
    return out


def load_location(conn: sqlite3.Connection, location_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT id, name, address FROM locations WHERE id = ?", (location_id,)).fetchone()
    return None if row is None else dict(row)


def location_name_taken(conn: sqlite3.Connection, name: str, location_id: int) -> bool:
    row = conn.execute("SELECT id FROM locations WHERE lower(name) = lower(?)", (name,)).fetchone()
    return row is not None and int(row[0]) != location_id


def save_location(conn: Connection, location_id: int, name: str, address: str) -> dict[str, Any]:
    conn.execute(
        "INSERT INTO locations (id, name, address) VALUES (?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address",
        (location_id, name, address),
    )
    row = {"id": location_id, "name": name, "address": address}
    record_change(conn, "location", location_id, row, PUBLIC)
    return row


def save_savings_type(conn: Connection, st: SavingsType) -> None:
    conn.execute(
        "INSERT INTO savings_types (code, name, withdrawable) VALUES (?, ?, ?)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, withdrawable = excluded.withdrawable",
        (st.code, st.name, st.withdrawable),
    )
    record_change(conn, "savings_type", st.code, st, PUBLIC)


def save_bank_account(conn: Connection, account: BankAccount) -> None:
    conn.execute(
        "INSERT INTO bank_accounts (id, bank, number, holder, active) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET bank = excluded.bank, number = excluded.number, holder = excluded.holder,"
        " active = excluded.active",
        (account.id, account.bank, account.number, account.holder, account.active),
    )
    record_change(conn, "bank_account", account.id, account, PUBLIC)


# --- board structure ----------------------------------------------------------------------------

_BOARD = "SELECT id, body, position, name, term_start, term_end, active FROM board_positions"


def load_board_position(conn: sqlite3.Connection, position_id: int) -> BoardPosition | None:
    row = conn.execute(f"{_BOARD} WHERE id = ?", (position_id,)).fetchone()
    return None if row is None else msgspec.convert(dict(row), BoardPosition, strict=False)


def save_board_position(conn: Connection, position: BoardPosition) -> None:
    conn.execute(
        "INSERT INTO board_positions (id, body, position, name, term_start, term_end, active) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET body = excluded.body, position = excluded.position, name = excluded.name,"
        " term_start = excluded.term_start, term_end = excluded.term_end, active = excluded.active",
        (
            position.id,
            position.body,
            position.position,
            position.name,
            position.term_start.isoformat(),
            position.term_end.isoformat(),
            position.active,
        ),
    )
    record_change(conn, "board_position", position.id, position, PUBLIC)


def board_positions(conn: sqlite3.Connection) -> list[BoardPosition]:
    return [msgspec.convert(dict(r), BoardPosition, strict=False) for r in conn.execute(f"{_BOARD} ORDER BY id")]


# --- member directory ---------------------------------------------------------------------------


def directory(conn: sqlite3.Connection, q: str, limit: int, *, by_name: bool) -> list[dict[str, object]]:
    """Active members whose number is ``q`` or, with ``by_name``, starts with it or whose name contains it:
    id (what ``deposit.create`` names), number, name, kind only.

    ``q`` is escaped for LIKE, so ``%`` and ``_`` match themselves (no wildcard enumeration).
    """
    if not by_name:
        rows = conn.execute(
            "SELECT id, number, name, kind FROM members WHERE active = 1 AND number = ?", (q,)
        ).fetchall()
        return [_directory_row(r) for r in rows]
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        "SELECT id, number, name, kind FROM members WHERE active = 1 AND"
        " (number LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')"
        " ORDER BY (number = ?) DESC, name COLLATE NOCASE, number LIMIT ?",
        (f"{escaped}%", f"%{escaped}%", q, limit),
    ).fetchall()
    return [_directory_row(r) for r in rows]


def _directory_row(r: sqlite3.Row) -> dict[str, object]:
    return {"id": int(r[0]), "number": str(r[1]), "name": str(r[2]), "kind": str(r[3])}


def admin_user_id(conn: sqlite3.Connection, username: str | None) -> int | None:
    """The active admin a command-line action is recorded under: the named one, else the first."""
    if username is not None:
        row = conn.execute(
            "SELECT id FROM users WHERE username = ? AND role = 'admin' AND active = 1", (username,)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT id FROM users WHERE role = 'admin' AND active = 1 ORDER BY demo, id LIMIT 1"
        ).fetchone()
    return None if row is None else int(row[0])


# --- users (the admin's list and edits; creation is server/auth/users.py) -----------------------


def list_users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every login with its role, member, locations and whether it is active (no password data)."""
    rows = conn.execute(
        "SELECT u.id, u.username, u.name, u.role, u.member_id, u.active, u.demo,"
        " (SELECT group_concat(location_id) FROM (SELECT location_id FROM officer_locations o"
        "   WHERE o.user_id = u.id ORDER BY location_id)) AS locations FROM users u ORDER BY u.id"
    ).fetchall()
    return [
        {
            "id": r["id"],
            "username": r["username"],
            "name": r["name"],
            "role": r["role"],
            "member_id": r["member_id"],
            "active": bool(r["active"]),
            "demo": bool(r["demo"]),
            "location_ids": [int(x) for x in r["locations"].split(",")] if r["locations"] else [],
        }
        for r in rows
    ]


def update_user(conn: Connection, user_id: int, *, name: str, active: bool) -> None:
    """Rename or (de)activate a login; deactivation ends its sessions and pokes its devices."""
    was_active = conn.execute("SELECT active FROM users WHERE id = ?", (user_id,)).fetchone()[0]
    conn.execute("UPDATE users SET name = ?, active = ? WHERE id = ?", (name, int(active), user_id))
    if was_active and not active:
        from . import accounts

        conn.execute("UPDATE users SET scope_gen = scope_gen + 1 WHERE id = ?", (user_id,))
        accounts.revoke_user_sessions(conn, user_id, dt.datetime.now(dt.UTC).isoformat())
        conn.touched.add(("user", user_id))
