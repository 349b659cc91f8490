"""The device checks its own ledger: every account chain in the replica, with nothing from the server.

Why: a member (or an officer, for the members they serve) should be able to tell, from the rows on
the phone alone, that none of their ledger entries was changed, removed or reordered. The rules are
the server's own (``server.domain.ledger``, the spec in PROTOCOL.md "Ledger hash chains"); the
balances the replica holds (``savings_account``, a disbursed loan's ``outstanding``) are what catch
a removed last entry. Run it after a complete pull: a page may end between an entry and its
account's new balance.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from server.domain.ledger import AccountVerdict, LedgerEntry, account_key, first_failure, verify_accounts

__all__ = ["AccountCheck", "LedgerVerification", "REASON_MESSAGES", "held_balances", "verify_replica"]

# what each reason means to the person looking at the phone (Bahasa Indonesia)
REASON_MESSAGES: dict[str, str] = {
    "malformed_entry": "entri tidak lengkap atau tidak terbaca",
    "wrong_account": "entri milik rekening lain",
    "out_of_order": "urutan entri tidak sesuai (ganda atau tertukar)",
    "account_seq_gap": "ada entri yang hilang atau berpindah tempat sebelum entri ini",
    "account_link_broken": "entri tidak tersambung dengan entri sebelumnya",
    "version_downgrade": "versi hash entri tidak sah",
    "unknown_hash_version": "versi hash entri tidak dikenal",
    "hash_mismatch": "isi entri telah diubah (hash tidak cocok)",
    "balance_mismatch": "saldo setelah entri tidak sesuai dengan entri sebelumnya",
    "head_mismatch": "saldo rekening tidak sama dengan saldo entri terakhir (entri terakhir hilang?)",
}


class AccountCheck(msgspec.Struct, frozen=True):
    """One account of the replica: ``"<member id>:<savings type>"``, its entries and verdict."""

    account: str
    member_id: int
    savings_type: str
    entries: int
    ok: bool
    first_bad_seq: int | None
    reason: str | None
    head_hash: str
    balance: int
    expected_balance: int | None


class LedgerVerification(msgspec.Struct, frozen=True):
    """The replica's verdict: ``ok``, how many entries were checked, the first bad entry (its ``seq``,
    account and reason; ``first_bad_seq`` is None for a head mismatch), a message for people, and
    every account's check."""

    ok: bool
    entries: int
    first_bad_seq: int | None
    first_bad_account: str | None
    reason: str | None
    message: str
    accounts: list[AccountCheck]


def _entries(rows: Iterable[dict[str, Any]]) -> tuple[list[LedgerEntry], dict[str, int], int]:
    """Decode the replica's rows; a row that does not decode is remembered by account (lowest seq).

    Returns the entries by ``seq``, the malformed rows' lowest seq per account, and their count."""
    entries: list[LedgerEntry] = []
    malformed: dict[str, int] = {}
    count = 0
    for row in rows:
        count += 1
        try:
            entries.append(msgspec.convert(row, LedgerEntry))
        except msgspec.ValidationError:
            key = f"{row.get('member_id')}:{row.get('savings_type')}"  # as account_key, whatever the values are
            raw_seq = row.get("seq")
            seq = raw_seq if isinstance(raw_seq, int) else 0
            malformed[key] = min(malformed.get(key, seq), seq)
    entries.sort(key=lambda e: e.seq)
    return entries, malformed, count


def held_balances(savings_accounts: Iterable[dict[str, Any]], loans: Iterable[dict[str, Any]]) -> dict[str, int]:
    """What the replica says each account holds: savings balances, disbursed loans' outstanding."""
    held = {account_key(r["member_id"], r["savings_type"]): int(r["balance"]) for r in savings_accounts}
    for loan in loans:
        if loan.get("status") in ("active", "paid_off"):  # the ledger account of a loan, as the server names it
            held[account_key(loan["member_id"], f"pinjaman:{loan['id']}")] = int(loan["outstanding"])
    return held


def _check(verdict: AccountVerdict, held: dict[str, int], malformed: dict[str, int]) -> AccountCheck:
    member, _, savings_type = verdict.account.partition(":")
    bad_seq, reason = verdict.first_bad_seq, verdict.reason
    if verdict.account in malformed:
        bad_seq, reason = malformed[verdict.account], "malformed_entry"
    return AccountCheck(
        verdict.account, int(member) if member.lstrip("-").isdigit() else 0, savings_type, verdict.entries,
        reason is None, bad_seq, reason, verdict.head_hash, verdict.balance, held.get(verdict.account),
    )  # fmt: skip


def verify_replica(
    ledger_rows: Iterable[dict[str, Any]],
    savings_accounts: Iterable[dict[str, Any]] = (),
    loans: Iterable[dict[str, Any]] = (),
    member_id: int | None = None,
) -> LedgerVerification:
    """Verify every account chain in the given replica rows (only ``member_id``'s, if given)."""
    if member_id is not None:
        ledger_rows = [r for r in ledger_rows if r.get("member_id") == member_id]
        savings_accounts = [r for r in savings_accounts if r.get("member_id") == member_id]
        loans = [r for r in loans if r.get("member_id") == member_id]
    entries, malformed, count = _entries(ledger_rows)
    held = held_balances(savings_accounts, loans)
    verdicts = verify_accounts(entries, held)
    names = {v.account for v in verdicts}
    verdicts += [
        AccountVerdict(key, 0, False, seq, "malformed_entry") for key, seq in malformed.items() if key not in names
    ]
    checks = sorted((_check(v, held, malformed) for v in verdicts), key=lambda c: c.account)
    worst = first_failure(AccountVerdict(c.account, c.entries, c.ok, c.first_bad_seq, c.reason) for c in checks)
    if worst is None:
        message = f"Buku besar terverifikasi: {len(entries)} entri di {len(checks)} rekening, tidak ada yang diubah atau hilang."
        return LedgerVerification(True, count, None, None, None, message, checks)
    where = f"entri #{worst.first_bad_seq}" if worst.first_bad_seq is not None else "entri terakhir"
    message = f"Buku besar rekening {worst.account} tidak utuh: {where}: {REASON_MESSAGES.get(worst.reason or '', worst.reason)}."
    return LedgerVerification(False, count, worst.first_bad_seq, worst.account, worst.reason, message, checks)
