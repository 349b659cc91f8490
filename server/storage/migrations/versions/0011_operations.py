"""Operations: TOTP second factor and recovery codes, the backup log, in-app bug reports.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

STATEMENTS = [
    # one TOTP secret per user; confirmed_at NULL while enrolment waits for the first code;
    # last_step is the last accepted 30-second time step (a code is never accepted twice)
    """CREATE TABLE mfa_totp (
        user_id INTEGER PRIMARY KEY REFERENCES users(id), secret TEXT NOT NULL,
        created_at TEXT NOT NULL, confirmed_at TEXT, last_step INTEGER NOT NULL DEFAULT 0)""",
    # recovery codes, stored as SHA-256 of the code (they are random, 50 bits each); single use
    """CREATE TABLE mfa_recovery_codes (
        user_id INTEGER NOT NULL REFERENCES users(id), code_hash TEXT NOT NULL, used_at TEXT,
        PRIMARY KEY (user_id, code_hash))""",
    # every backup taken (daily or on demand), its verification and whether its file was removed
    """CREATE TABLE backups (
        id INTEGER PRIMARY KEY, file TEXT NOT NULL UNIQUE, trigger TEXT NOT NULL CHECK (trigger IN ('daily', 'manual')),
        started_at TEXT NOT NULL, finished_at TEXT NOT NULL, size_bytes INTEGER NOT NULL,
        ok INTEGER NOT NULL, ledger_entries INTEGER, detail TEXT NOT NULL DEFAULT '', removed_at TEXT)""",
    """CREATE INDEX backups_ok ON backups(ok, finished_at)""",
    # in-app bug reports (Laporkan Masalah): what the user wrote and the device's sync state, no secrets
    """CREATE TABLE reports (
        id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), role TEXT NOT NULL,
        description TEXT NOT NULL, app_version TEXT NOT NULL, pending INTEGER NOT NULL,
        last_sync_at TEXT, error_codes TEXT NOT NULL, device_time TEXT, created_at TEXT NOT NULL)""",
    """CREATE INDEX reports_created ON reports(created_at)""",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in ("reports", "backups", "mfa_recovery_codes", "mfa_totp"):
        op.execute(f"DROP TABLE {table}")
