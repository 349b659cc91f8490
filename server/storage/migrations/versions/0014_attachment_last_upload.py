"""When each attachment was last uploaded, by anyone (``attachments.last_uploaded_at``).

Why: the orphan clean-up removes a file no row names once its *last* upload is older than
``attachment_orphan_days``. ``attachments.uploaded_at`` is the first upload and
``attachment_uploads.uploaded_at`` each uploader's first (the per-user quota counts those, so a
repeated upload must not move them); a device that uploads the same proof again has still just
shown it means to push it. Existing files start from their latest recorded upload. No index: the
clean-up reads every file once per run anyway, and each "does a row name it" check is indexed.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE attachments ADD COLUMN last_uploaded_at TEXT NOT NULL DEFAULT ''")
    op.execute(
        "UPDATE attachments SET last_uploaded_at = max(uploaded_at, COALESCE("
        " (SELECT MAX(u.uploaded_at) FROM attachment_uploads u WHERE u.sha256 = attachments.sha256), ''))"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE attachments DROP COLUMN last_uploaded_at")
