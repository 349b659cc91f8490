"""Administration: the audit log, the board structure, the cooperative's settings (time zone).

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

STATEMENTS = [
    # every admin action: who, when, what, the row before and after (JSON); append-only like the ledger
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, user_id INTEGER NOT NULL REFERENCES users(id),
        action TEXT NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL, before TEXT, after TEXT)""",
    """CREATE INDEX audit_log_entity ON audit_log(entity, entity_id, id)""",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    # pengurus and pengawas: who holds which position for which term
    """CREATE TABLE board_positions (
        id INTEGER PRIMARY KEY, body TEXT NOT NULL CHECK (body IN ('pengurus', 'pengawas')),
        position TEXT NOT NULL, name TEXT NOT NULL, member_id INTEGER REFERENCES members(id),
        term_start TEXT NOT NULL, term_end TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,
        CHECK (term_end > term_start))""",
    # the cooperative's own settings, changeable by the admin at run time (not environment variables)
    """CREATE TABLE coop_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """INSERT INTO coop_settings (key, value) VALUES ('time_zone', 'Asia/Jakarta')""",
    # the member directory searches names without regard to case
    """CREATE INDEX members_name ON members(name COLLATE NOCASE)""",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for statement in (
        "DROP INDEX IF EXISTS members_name",
        "DROP TABLE IF EXISTS coop_settings",
        "DROP TABLE IF EXISTS board_positions",
        "DROP TABLE IF EXISTS audit_log",
    ):
        op.execute(statement)
