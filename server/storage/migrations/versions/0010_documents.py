"""White-label branding of the cooperative (name, short name, theme colour, logo) for the PWA header,
the web app manifest and every PDF document.

One row (``id = 1``); the logo bytes live in the database beside it, so a backup carries them.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STATEMENTS = [
    """CREATE TABLE branding (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL, short_name TEXT NOT NULL, theme_color TEXT NOT NULL,
        logo BLOB, logo_type TEXT CHECK (logo_type IN ('image/png', 'image/svg+xml')), logo_sha256 TEXT,
        updated_at TEXT NOT NULL, updated_by INTEGER REFERENCES users(id))""",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE branding")
