"""Web Push: device subscriptions, notice preferences, the notifications outbox and its deliveries.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STATEMENTS = [
    # one row per browser push endpoint; tied to the user, their member record, the device's sync client
    # and the login session that created it (a dead session is never pushed to)
    """CREATE TABLE push_subscriptions (
        id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), member_id INTEGER,
        session_id TEXT NOT NULL, client_id TEXT NOT NULL, endpoint TEXT NOT NULL UNIQUE,
        p256dh TEXT NOT NULL, auth TEXT NOT NULL, vapid_key_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'resubscribe', 'removed')),
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, removed_reason TEXT)""",
    """CREATE INDEX push_subscriptions_member ON push_subscriptions(member_id, status)""",
    """CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id, status)""",
    """CREATE INDEX push_subscriptions_session ON push_subscriptions(session_id)""",
    # the kinds of notice a user turned off (JSON array); no row means every kind is on
    """CREATE TABLE push_preferences (
        user_id INTEGER PRIMARY KEY REFERENCES users(id), disabled TEXT NOT NULL DEFAULT '[]', updated_at TEXT NOT NULL)""",
    # the outbox: written in the same transaction as the event; one notice per user, kind and record
    """CREATE TABLE push_notices (
        id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), kind TEXT NOT NULL,
        entity TEXT NOT NULL, event_id TEXT NOT NULL, topic TEXT NOT NULL, urgency TEXT NOT NULL,
        payload TEXT NOT NULL, created_at TEXT NOT NULL, created_ts REAL NOT NULL,
        UNIQUE (user_id, kind, event_id))""",
    # one row per notice and subscription: the record that makes a send happen at most once
    """CREATE TABLE push_deliveries (
        notice_id INTEGER NOT NULL REFERENCES push_notices(id), subscription_id INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0, due_ts REAL NOT NULL, last_status INTEGER, reason TEXT,
        updated_at TEXT NOT NULL, sent_at TEXT,
        PRIMARY KEY (notice_id, subscription_id))""",
    """CREATE INDEX push_deliveries_due ON push_deliveries(due_ts) WHERE status = 'pending'""",
    """CREATE INDEX push_deliveries_subscription ON push_deliveries(subscription_id, status)""",
]

TABLES = ["push_deliveries", "push_notices", "push_preferences", "push_subscriptions"]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
