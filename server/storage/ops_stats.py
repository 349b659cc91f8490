"""SQL behind ``/metrics`` and the admin health view: a few counts read at scrape time.

Read from the database rather than counted in memory, so the figures survive a restart and agree
with what is stored. Each is one aggregate over an indexed or small table; ``mutations`` by status
is a full scan (a few milliseconds per hundred thousand rows), acceptable at a scrape every 15 s+.
"""

from __future__ import annotations

import sqlite3

from msgspec import Struct

__all__ = ["OpsStats", "ops_stats"]


class OpsStats(Struct, frozen=True):
    feed_head: int
    clients: int
    mutations: dict[str, int]
    """Processed mutations by status (applied, rejected)."""
    push_deliveries: dict[str, int]
    """Web Push deliveries by status (pending, sending, sent, failed)."""
    reports: int
    database_bytes: int


def ops_stats(conn: sqlite3.Connection) -> OpsStats:
    conn.execute("BEGIN")
    try:
        head = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
        clients = conn.execute("SELECT COUNT(*) FROM clients").fetchone()[0]
        mutations = {
            str(r[0]): int(r[1]) for r in conn.execute("SELECT status, COUNT(*) FROM mutations GROUP BY status")
        }
        deliveries = {
            str(r[0]): int(r[1]) for r in conn.execute("SELECT status, COUNT(*) FROM push_deliveries GROUP BY status")
        }
        reports = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.execute("COMMIT")
    return OpsStats(int(head), int(clients), mutations, deliveries, int(reports), int(pages))
