"""What several controllers ask before they read: which member or loan the caller means and may see,
and whether the dates and page they sent are well formed.

Why one module: the read API, the loan screens and the printed documents must give one answer for
"not yours" and "no such record" (the same 404, so an id's existence never leaks), through the one
access policy (``server/access.py``); each controller importing another's private helpers hid that
they share a rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.access import Owners, Reach, may_see
from server.domain.loans import Loan
from server.errors import NotFound, RequestError
from server.storage import loans as loan_store
from server.storage import savings
from server.storage.interface import ReadTx

__all__ = ["member_not_found", "member_for", "visible_loan", "check_dates", "check_page", "MAX_PAGE_SIZE"]

MAX_PAGE_SIZE = 200


def member_not_found() -> NotFound:
    """One answer for "no such member" and "not yours to see"."""
    return NotFound("member_not_found", "Anggota tidak ditemukan.")


def member_for(conn: ReadTx, reach: Reach, member_id: int | None) -> dict[str, Any]:
    """The member the caller asks about (default: themselves), if the access policy lets them see them.

    Another member's id is answered exactly like an unknown one (404), so the answer never tells
    whether the id exists.
    """
    target = member_id if member_id is not None else reach.member_id
    if target is None:
        raise RequestError("member_id_required", "Pilih anggota terlebih dahulu.")
    member = savings.load_member(conn, target)
    if member is None or not may_see(reach, Owners(member_id=member.id, location_id=member.location_id)):
        raise member_not_found()
    return {
        "id": member.id,
        "number": member.number,
        "name": member.name,
        "kind": member.kind,
        "location_id": member.location_id,
    }


def visible_loan(conn: ReadTx, reach: Reach, loan_id: str) -> Loan:
    """The loan if the access policy lets the caller see it; another's loan is answered like an unknown one."""
    loan = loan_store.load_loan(conn, loan_id)
    if loan is None or not may_see(reach, Owners(loan.member_id, loan.location_id, loan.created_by)):
        raise NotFound("loan_not_found", "Pinjaman tidak ditemukan.")
    return loan


def check_dates(*values: str | None) -> None:
    """Every given value is an ISO date (``YYYY-MM-DD``); None means "not given"."""
    for value in values:
        if value is not None:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise RequestError("invalid_date", f"Tanggal '{value}' tidak valid (format YYYY-MM-DD).") from None


def check_page(page: int, page_size: int) -> None:
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise RequestError("invalid_page", "Halaman dan ukuran halaman tidak valid (ukuran 1–200).")
