"""Initial schema: people, savings, deposits, withdrawals, ledger, change feed, sync bookkeeping.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATEMENTS = [
    # epoch changes when the database is replaced or restored, so clients can tell (cursor check)
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """INSERT INTO meta (key, value) VALUES ('epoch', lower(hex(randomblob(8)))), ('min_seq', '0')""",
    """CREATE TABLE locations (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, address TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE savings_types (
        code TEXT PRIMARY KEY, name TEXT NOT NULL, withdrawable INTEGER NOT NULL CHECK (withdrawable IN (0, 1)))""",
    """CREATE TABLE bank_accounts (
        id INTEGER PRIMARY KEY, bank TEXT NOT NULL, number TEXT NOT NULL, holder TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1)""",
    """CREATE TABLE members (
        id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('anggota', 'badan')),
        location_id INTEGER NOT NULL REFERENCES locations(id),
        active INTEGER NOT NULL DEFAULT 1, joined_at TEXT NOT NULL)""",
    """CREATE INDEX members_location ON members(location_id)""",
    """CREATE TABLE users (
        id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('anggota', 'petugas', 'pengurus', 'admin')),
        member_id INTEGER REFERENCES members(id), active INTEGER NOT NULL DEFAULT 1,
        scope_gen INTEGER NOT NULL DEFAULT 1)""",
    """CREATE TABLE officer_locations (
        user_id INTEGER NOT NULL REFERENCES users(id), location_id INTEGER NOT NULL REFERENCES locations(id),
        PRIMARY KEY (user_id, location_id))""",
    """CREATE TABLE sessions (
        id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), client_id TEXT NOT NULL,
        refresh_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT)""",
    """CREATE TABLE clients (
        client_id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
        last_mutation_id INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)""",
    # every mutation ever processed, kept for the life of the ledger (exactly-once across reinstalls)
    """CREATE TABLE mutations (
        uuid TEXT PRIMARY KEY, client_id TEXT NOT NULL, mutation_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL, name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),
        code TEXT, message TEXT, visible_at INTEGER NOT NULL, received_at TEXT NOT NULL, device_time TEXT,
        UNIQUE (client_id, mutation_id))""",
    """CREATE TABLE savings_accounts (
        member_id INTEGER NOT NULL REFERENCES members(id),
        savings_type TEXT NOT NULL REFERENCES savings_types(code),
        balance INTEGER NOT NULL DEFAULT 0, held INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (member_id, savings_type),
        CHECK (held >= 0 AND balance >= 0 AND held <= balance))""",
    """CREATE TABLE deposits (
        id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE,
        member_id INTEGER NOT NULL REFERENCES members(id),
        savings_type TEXT NOT NULL REFERENCES savings_types(code),
        kind TEXT NOT NULL CHECK (kind IN ('offline', 'mandiri')),
        amount INTEGER NOT NULL CHECK (amount > 0),
        location_id INTEGER NOT NULL REFERENCES locations(id),
        status TEXT NOT NULL CHECK (status IN ('unverified', 'verified', 'cancelled', 'rejected')),
        created_by INTEGER NOT NULL REFERENCES users(id), created_at TEXT NOT NULL,
        bank_account_id INTEGER REFERENCES bank_accounts(id), transfer_date TEXT, sender_bank TEXT,
        account_holder TEXT, note TEXT NOT NULL DEFAULT '', attachment TEXT, device_time TEXT,
        decided_by INTEGER REFERENCES users(id), decided_at TEXT, reason TEXT)""",
    """CREATE INDEX deposits_member ON deposits(member_id, created_at)""",
    """CREATE INDEX deposits_location ON deposits(location_id, status)""",
    """CREATE INDEX deposits_creator ON deposits(created_by, status)""",
    """CREATE TABLE withdrawals (
        id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE,
        member_id INTEGER NOT NULL REFERENCES members(id),
        savings_type TEXT NOT NULL REFERENCES savings_types(code),
        amount INTEGER NOT NULL CHECK (amount > 0),
        method TEXT NOT NULL CHECK (method IN ('transfer', 'tunai')),
        location_id INTEGER NOT NULL REFERENCES locations(id),
        status TEXT NOT NULL CHECK (status IN ('unverified', 'verified', 'cancelled', 'rejected')),
        created_by INTEGER NOT NULL REFERENCES users(id), created_at TEXT NOT NULL,
        bank_name TEXT, account_number TEXT, account_holder TEXT, note TEXT NOT NULL DEFAULT '',
        device_time TEXT, decided_by INTEGER REFERENCES users(id), decided_at TEXT, reason TEXT)""",
    """CREATE INDEX withdrawals_member ON withdrawals(member_id, created_at)""",
    """CREATE INDEX withdrawals_location ON withdrawals(location_id, status)""",
    """CREATE TABLE ledger (
        seq INTEGER PRIMARY KEY, at TEXT NOT NULL, member_id INTEGER NOT NULL REFERENCES members(id),
        savings_type TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount != 0), kind TEXT NOT NULL,
        ref_id TEXT NOT NULL, ref_code TEXT NOT NULL, balance_after INTEGER NOT NULL,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)""",
    """CREATE INDEX ledger_account ON ledger(member_id, savings_type, seq)""",
    """CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END""",
    """CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END""",
    # the change feed: audience 'all' (reference data), 'scoped' (member/location/creator), 'private' (user)
    """CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL, entity_id TEXT NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('put', 'delete')), data TEXT,
        audience TEXT NOT NULL CHECK (audience IN ('all', 'scoped', 'private')),
        scope_member INTEGER, scope_location INTEGER, scope_user INTEGER)""",
    """CREATE INDEX changes_entity ON changes(entity, entity_id)""",
    """CREATE TABLE attachments (
        sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, content_type TEXT NOT NULL,
        uploaded_by INTEGER NOT NULL REFERENCES users(id), uploaded_at TEXT NOT NULL)""",
    """CREATE TABLE code_counters (prefix TEXT PRIMARY KEY, next INTEGER NOT NULL)""",
]

TABLES = [
    "code_counters",
    "attachments",
    "changes",
    "ledger",
    "withdrawals",
    "deposits",
    "savings_accounts",
    "mutations",
    "clients",
    "sessions",
    "officer_locations",
    "users",
    "members",
    "bank_accounts",
    "savings_types",
    "locations",
    "meta",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
