"""The per-account hash chain: every ledger entry also names its place in its account
(``account_seq``) and the hash of the account's previous entry (``account_prev_hash``).

Existing entries keep their hashes, which are marked ``hash_version`` 1 (they cover the global fields
only): re-hashing history would make the migration indistinguishable from a forgery and break every
hash a member or auditor already holds. Their account fields are derived from the ledger's own order,
with the append-only trigger lifted for that one UPDATE inside this migration's transaction (alembic
runs it in one transaction: a failure leaves the ledger as it was), and every entry is published again
so devices receive the new fields. A legacy entry's ``account_prev_hash`` is the account's running
link, ``sha256(previous link + previous hash)`` (genesis first), so the next entry seals every legacy
entry before it; the fold needs SHA-256, which SQLite lacks, hence the few lines of Python. The rule
is written out here, not imported, so this revision never changes with the code. New entries are
version 2, whose hash covers the account fields. See docs/ARCHITECTURE.md section 5.

Revision ID: 0004
Revises: 0003
"""

import hashlib

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

ADD_COLUMNS = [
    "ALTER TABLE ledger ADD COLUMN account_seq INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE ledger ADD COLUMN account_prev_hash TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE ledger ADD COLUMN hash_version INTEGER NOT NULL DEFAULT 1 CHECK (hash_version IN (1, 2))",
]
AFTER_DERIVING = [
    """CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END""",
    "CREATE UNIQUE INDEX ledger_account_seq ON ledger(member_id, savings_type, account_seq)",
    # publish every entry again with its new fields (same JSON shape and scope as storage.savings)
    """INSERT INTO changes (entity, entity_id, op, data, audience, scope_member, scope_location, scope_user)
        SELECT 'ledger_entry', CAST(l.seq AS TEXT), 'put',
               json_object('seq', l.seq, 'at', l.at, 'member_id', l.member_id, 'savings_type', l.savings_type,
                           'amount', l.amount, 'kind', l.kind, 'ref_id', l.ref_id, 'ref_code', l.ref_code,
                           'balance_after', l.balance_after, 'prev_hash', l.prev_hash,
                           'account_seq', l.account_seq, 'account_prev_hash', l.account_prev_hash,
                           'hash_version', l.hash_version, 'hash', l.hash),
               'scoped', l.member_id, m.location_id, NULL
        FROM ledger l JOIN members m ON m.id = l.member_id ORDER BY l.seq""",
]


def _derived_account_fields(rows: list[tuple[int, int, str, str]]) -> list[tuple[int, str, int]]:
    """(account_seq, account_prev_hash, seq) of every legacy entry, from (seq, member, type, hash)."""
    heads: dict[tuple[int, str], tuple[int, str]] = {}
    derived = []
    for seq, member_id, savings_type, entry_hash in rows:
        count, link = heads.get((member_id, savings_type), (0, GENESIS))
        derived.append((count + 1, link, seq))
        heads[member_id, savings_type] = (count + 1, hashlib.sha256((link + entry_hash).encode()).hexdigest())
    return derived


def upgrade() -> None:
    for statement in ADD_COLUMNS:
        op.execute(statement)
    bind = op.get_bind()
    rows = bind.exec_driver_sql("SELECT seq, member_id, savings_type, hash FROM ledger ORDER BY seq").fetchall()
    op.execute("DROP TRIGGER ledger_no_update")
    derived = _derived_account_fields([tuple(r) for r in rows])
    if derived:
        bind.exec_driver_sql("UPDATE ledger SET account_seq = ?, account_prev_hash = ? WHERE seq = ?", derived)
    for statement in AFTER_DERIVING:
        op.execute(statement)


def downgrade() -> None:
    """Only while no version-2 entry exists: dropping its account fields would break its hash."""
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT 1 FROM ledger WHERE hash_version = 2 LIMIT 1").first() is not None:
        raise RuntimeError("ledger holds hash-version-2 entries; 0004 cannot be undone")
    op.execute("DROP INDEX ledger_account_seq")
    for column in ("hash_version", "account_prev_hash", "account_seq"):
        op.execute(f"ALTER TABLE ledger DROP COLUMN {column}")
