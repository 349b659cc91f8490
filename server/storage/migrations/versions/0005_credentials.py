"""Real credentials: demo accounts marked, forced password changes, and login throttling state.

Before this revision the only way to create users was the demo loader, so every existing user is a
demo account with the shared demo password: they are all marked ``demo`` here, and ``serve`` without
``--demo`` refuses to start until their passwords are changed (or it is told to allow them).

``login_attempts`` is kept in the database, not in memory, so a lockout survives a restart (an
attacker cannot reset the count by crashing or waiting for a deploy) and an admin's ``unlock`` from
the command line reaches the running server.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = [
    "ALTER TABLE users ADD COLUMN demo INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))",
    (
        "ALTER TABLE users ADD COLUMN password_change_required INTEGER NOT NULL DEFAULT 0"
        " CHECK (password_change_required IN (0, 1))"
    ),
    # NULL: the password was set by the demo loader and never changed since
    "ALTER TABLE users ADD COLUMN password_changed_at TEXT",
    "UPDATE users SET demo = 1",
    # key: 'user:<casefolded username>' or 'addr:<client address>'; times are Unix seconds
    """CREATE TABLE login_attempts (
        key TEXT PRIMARY KEY, failures INTEGER NOT NULL, first_failure_at REAL NOT NULL,
        last_failure_at REAL NOT NULL, blocked_until REAL NOT NULL DEFAULT 0)""",
]

DOWNGRADE = [
    "DROP TABLE login_attempts",
    "ALTER TABLE users DROP COLUMN password_changed_at",
    "ALTER TABLE users DROP COLUMN password_change_required",
    "ALTER TABLE users DROP COLUMN demo",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
