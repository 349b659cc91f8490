"""The device database's schema, as numbered migrations recorded in ``PRAGMA user_version``.

Each migration is a list of statements run in one transaction (SQLite DDL is transactional), so a
failed upgrade leaves the file as it was. Never edit a released migration: append a new one.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

MIGRATIONS: list[list[str]] = [
    [  # 1: initial schema
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE profiles (
            client_id TEXT PRIMARY KEY,
            username TEXT NOT NULL COLLATE NOCASE,
            user_id INTEGER,
            user_info TEXT,
            access_token TEXT,
            refresh_token TEXT,
            access_expires_at REAL,
            cursor TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL DEFAULT 0,
            server_last_mutation_id INTEGER,
            next_mutation_id INTEGER NOT NULL DEFAULT 1 CHECK (next_mutation_id >= 1),
            last_sync_at TEXT,
            last_error_code TEXT,
            last_error_message TEXT,
            last_error_retryable INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX profiles_username ON profiles (username)",
        """CREATE TABLE rows (
            client_id TEXT NOT NULL,
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (client_id, entity, id)
        ) WITHOUT ROWID""",
        """CREATE TABLE outbox (
            client_id TEXT NOT NULL REFERENCES profiles (client_id),
            id INTEGER NOT NULL,
            uuid TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            op TEXT NOT NULL,
            device_time TEXT,
            queued_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'rejected')),
            code TEXT,
            message TEXT,
            visible_at INTEGER,
            settled_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (client_id, id)
        )""",
        "CREATE INDEX outbox_state ON outbox (client_id, state, settled_at)",
        """CREATE TABLE attachments (
            mutation_uuid TEXT NOT NULL REFERENCES outbox (uuid) ON DELETE CASCADE,
            sha256 TEXT NOT NULL,
            path TEXT,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            content BLOB NOT NULL,
            uploaded_at TEXT,
            PRIMARY KEY (mutation_uuid, sha256)
        )""",
    ],
    [  # 2: replica rows in a rowid table (JSON payloads are too large for a WITHOUT ROWID b-tree)
        """CREATE TABLE rows_v2 (
            client_id TEXT NOT NULL,
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            data TEXT NOT NULL,
            UNIQUE (client_id, entity, id)
        )""",
        "INSERT INTO rows_v2 (client_id, entity, id, seq, data) SELECT client_id, entity, id, seq, data FROM rows",
        "DROP TABLE rows",
        "ALTER TABLE rows_v2 RENAME TO rows",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)
