"""Keep the transfer fee on the withdrawal (``withdrawals.fee``), fixed when the server took the request.

Until now the slip recomputed the fee from the current setting, so changing the setting rewrote old
slips, and no fee ever reached the ledger. Existing rows are backfilled with 0, not with "the fee they
would have had": the setting is an environment variable of the server process, not in the database,
so a migration cannot know what it was when each withdrawal was made (nor whether it changed since);
and no existing withdrawal has a fee entry in the ledger, so 0 is what the ledger says was kept. A
withdrawal still pending at the upgrade is paid out in full (in the member's favour, never more than
its hold).

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE withdrawals ADD COLUMN fee INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0)")


def downgrade() -> None:
    op.execute("ALTER TABLE withdrawals DROP COLUMN fee")
