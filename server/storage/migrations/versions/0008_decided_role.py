"""Record the role in which a deposit or withdrawal was decided (verified, rejected, cancelled).

The board (pengurus) may now verify and reject cash where a location has a single officer; the row
says so (``decided_role``), not only who. Existing decisions take their decider's current role.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("deposits", "withdrawals"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN decided_role TEXT")
        op.execute(
            f"UPDATE {table} SET decided_role = (SELECT role FROM users WHERE users.id = {table}.decided_by)"
            " WHERE decided_by IS NOT NULL"
        )


def downgrade() -> None:
    for table in ("deposits", "withdrawals"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN decided_role")
