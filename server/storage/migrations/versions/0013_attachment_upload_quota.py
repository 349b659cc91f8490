"""Index each user's uploads by time (``attachment_uploads(user_id, uploaded_at)``).

Why: an upload now checks the uploader's files and bytes of the last 24 hours (the per-user quota,
``attachment_user_files_per_day`` / ``attachment_user_bytes_per_day``); without the index every upload
would scan every upload of every user.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX attachment_uploads_user ON attachment_uploads (user_id, uploaded_at)")


def downgrade() -> None:
    op.execute("DROP INDEX attachment_uploads_user")
