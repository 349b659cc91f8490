"""Attachments belong to someone: every user who uploaded a file is recorded, and deposits can be
looked up by the attachment they name (downloads check both).

A file is stored once by its hash, so ``attachments.uploaded_by`` holds only the first uploader;
``attachment_uploads`` holds each of them. Existing files get their first uploader as owner.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STATEMENTS = [
    """CREATE TABLE attachment_uploads (
        sha256 TEXT NOT NULL REFERENCES attachments(sha256), user_id INTEGER NOT NULL REFERENCES users(id),
        uploaded_at TEXT NOT NULL, PRIMARY KEY (sha256, user_id)) WITHOUT ROWID""",
    """INSERT INTO attachment_uploads (sha256, user_id, uploaded_at) SELECT sha256, uploaded_by, uploaded_at FROM attachments""",
    """CREATE INDEX deposits_attachment ON deposits(attachment) WHERE attachment IS NOT NULL""",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP INDEX deposits_attachment")
    op.execute("DROP TABLE attachment_uploads")
