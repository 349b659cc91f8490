"""Benchmark 2, fresh pull: a new officer device pulls its location's ~100,000 rows into its replica.

Ours: the server database is seeded (before the server process starts) with N deposits of location 1
written through the storage layer (``server.storage.savings.insert_deposit`` inside
``Database.write_sync``, in chunks), so the change log holds N rows in location 1's scope besides the
demo cooperative's own. A fresh ``SyncClient`` (new device file, ``page_limit=5000``) logs in as
petugas1 and runs ``sync_once()``; both are timed (login is also reported alone: it is dominated by one
argon2 verification).

Baseline: copying the same rows between two SQLite files with ``executemany``: ``SELECT`` the rows of
location 1's scope from a copy of the seeded server database and insert them, all columns, into a new
file holding a table like the source ``changes`` table (same columns, integer ``seq`` key, an index on
the row identity ``(entity, entity_id)``; WAL, ``synchronous=FULL``), in one transaction. Second line: the same copy into the device replica's own
``rows`` table (``client_sync/schema.py``), i.e. the floor the replica's schema allows. Extras: a plain
rowid table without index; the server at ``synchronous=NORMAL``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import (
    DEMO_PASSWORD,
    Report,
    ServerProfile,
    Timers,
    checkpoint,
    client_profile,
    demo_template,
    officer_deposit,
    start_server,
    workdir,
)

MEMBERS = list(range(1, 13))


def seed(data_dir: Path, n: int, chunk: int = 5000) -> float:
    """Write ``n`` deposits of location 1 through the storage layer; returns seconds taken."""
    from server.storage.database import Database
    from server.storage.savings import insert_deposit

    db = Database(data_dir / "lumbung.sqlite3")
    now = dt.datetime.now(dt.UTC)
    start = time.perf_counter()
    try:
        for first in range(0, n, chunk):

            def write(conn: Any, first: int = first) -> None:
                for i in range(first, min(first + chunk, n)):
                    insert_deposit(conn, officer_deposit(i, f"STR-SEED-{i + 1:07d}", now, MEMBERS, device_time=now))

            db.write_sync(write, timeout=300)
    finally:
        db.close()
    checkpoint(data_dir / "lumbung.sqlite3")
    return time.perf_counter() - start


def scope_rows(db_path: Path) -> int:
    """Change rows petugas1 (location 1) may read: what a fresh pull must bring."""
    with sqlite3.connect(db_path) as conn:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM changes WHERE audience = 'all' OR scope_user = 101"
                " OR (audience = 'scoped' AND scope_location IN (1))"
            ).fetchone()[0]
        )


def _head(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])


def _added_since(db_path: Path, seq: int) -> dict[str, int]:
    with sqlite3.connect(db_path) as conn:
        return dict(
            conn.execute("SELECT entity, COUNT(*) FROM changes WHERE seq > ? GROUP BY entity", (seq,)).fetchall()
        )


def _replica_ddl() -> str:
    from client_sync.schema import MIGRATIONS

    return next(s for s in MIGRATIONS[0] if "CREATE TABLE rows" in s)


# The change log's columns as the server's first migration made them, with the row identity a replica
# needs (entity, entity_id) indexed; written out here so the baseline does not move when the server's
# schema does.
SOURCE_DDL = (
    "CREATE TABLE changes (seq INTEGER PRIMARY KEY, entity TEXT NOT NULL, entity_id TEXT NOT NULL, op TEXT NOT NULL,"
    " data TEXT, audience TEXT NOT NULL, scope_member INTEGER, scope_location INTEGER, scope_user INTEGER)"
)
SCOPE_WHERE = "audience = 'all' OR scope_user = 101 OR (audience = 'scoped' AND scope_location IN (1))"


def copy_baseline(source_db: Path, base: Path, target: str = "source") -> tuple[float, int]:
    """Rows/s of SELECT from one SQLite file + executemany into another, in one transaction.

    ``target``: ``source`` = a table with the source ``changes`` table's columns, integer ``seq`` key and
    an index on the row identity (``SOURCE_DDL``), all columns copied; ``replica`` = the device
    replica's ``rows`` table (client_sync/schema.py, as the client fills it); ``plain`` = a rowid table
    without any index.
    """
    src_copy = base / "copy-source.sqlite3"
    if not src_copy.exists():
        shutil.copy(source_db, src_copy)
    dest = base / f"copy-dest-{target}.sqlite3"
    out = sqlite3.connect(dest, isolation_level=None)
    out.execute("PRAGMA journal_mode=WAL")
    out.execute("PRAGMA synchronous=FULL")
    src = sqlite3.connect(src_copy)
    client_id = uuid.uuid4().hex
    if target == "source":
        out.execute(SOURCE_DDL)
        out.execute("CREATE INDEX changes_entity ON changes (entity, entity_id)")
        cols = ["seq", "entity", "entity_id", "op", "data", "audience", "scope_member", "scope_location", "scope_user"]
        select = f"SELECT {','.join(cols)} FROM changes WHERE {SCOPE_WHERE} ORDER BY seq"
        insert = f"INSERT INTO changes ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})"
        params: tuple[Any, ...] = ()
    else:
        if target == "replica":
            out.execute(_replica_ddl())
        else:
            out.execute(
                "CREATE TABLE rows (client_id TEXT NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL,"
                " seq INTEGER NOT NULL, data TEXT NOT NULL)"
            )
        select = f"SELECT ?, entity, entity_id, seq, data FROM changes WHERE {SCOPE_WHERE} ORDER BY seq"
        insert = "INSERT INTO rows (client_id, entity, id, seq, data) VALUES (?, ?, ?, ?, ?)"
        params = (client_id,)
    start = time.perf_counter()
    rows = src.execute(select, params).fetchall()
    out.execute("BEGIN")
    out.executemany(insert, rows)
    out.execute("COMMIT")
    elapsed = time.perf_counter() - start
    src.close()
    out.close()
    return len(rows) / elapsed, len(rows)


def run_client(
    base: Path,
    data: Path,
    *,
    page_limit: int = 5000,
    profile: bool = False,
    tag: str = "pull",
    synchronous: str = "FULL",
    accept_encoding: str | None = None,
) -> dict[str, Any]:
    """``accept_encoding``: None = the library's default (brotli, else gzip); ``"identity"`` = uncompressed."""
    import httpx

    from client_sync import SyncClient

    server = start_server(data, LUMBUNG_SQLITE_SYNCHRONOUS=synchronous)
    wire = {"bytes": 0, "decoded": 0, "encodings": set()}

    def count(response: httpx.Response) -> None:
        if response.request.url.path == "/api/sync/pull":
            response.read()
            wire["bytes"] += response.num_bytes_downloaded
            wire["decoded"] += len(response.content)
            wire["encodings"].add(response.headers.get("content-encoding", "identity"))

    try:
        timers = Timers()
        with client_profile(tag, profile), ServerProfile(server.proc.pid if server.proc else None, tag, profile):
            start = time.perf_counter()
            http = httpx.Client(base_url=server.url, timeout=60, event_hooks={"response": [count]})
            client = SyncClient(
                base / f"device-{tag}.sqlite3", server.url, device_name="bench", page_limit=page_limit, http=http
            )
            if accept_encoding is not None:
                client._require_transport()._headers["Accept-Encoding"] = accept_encoding
            client.login("petugas1", DEMO_PASSWORD)
            login_seconds = time.perf_counter() - start
            transport = client._require_transport()
            transport.pull = timers.wrap("http pull (request+server+decode)", transport.pull)
            client.store.apply_page = timers.wrap("client apply_page", client.store.apply_page)
            summary = client.sync_once()
            total_seconds = time.perf_counter() - start
        assert not summary.errors, summary.errors
        held = client.store.count_rows(client.client_id or "")
        client.close()
    finally:
        server.stop()
    return {
        "seconds": total_seconds,
        "login_seconds": login_seconds,
        "pulled": summary.pulled,
        "held": held,
        "timers": timers.as_dict(),
        "wire_bytes": wire["bytes"],
        "json_bytes": wire["decoded"],
        "encodings": sorted(wire["encodings"]),
    }


def main(n: int = 100_000, profile: bool = False, extras: bool = True) -> dict[str, Any]:
    report = Report("pull", f"fresh officer device pulls ~{n:,} rows of its location (page limit 5000)")
    with workdir() as base:
        template = demo_template(base)
        data = base / "server"
        shutil.copytree(template, data)
        report.note("seeding seconds (insert_deposit via write_sync, chunks of 5000)", round(seed(data, n), 2))
        expected = scope_rows(data / "lumbung.sqlite3")
        raw, copied = copy_baseline(data / "lumbung.sqlite3", base)
        replica_copy, _ = copy_baseline(data / "lumbung.sqlite3", base, "replica")
        assert copied == expected, (copied, expected)
        head_before = _head(data / "lumbung.sqlite3")
        ours = run_client(base, data, profile=profile)
        expected = scope_rows(data / "lumbung.sqlite3")  # the server may add rows as it starts or logs in
        assert ours["pulled"] == expected, (ours["pulled"], expected)
        report.note(
            "change rows written while the server ran (entity: count)",
            _added_since(data / "lumbung.sqlite3", head_before),
        )
        report.figure(
            "fresh pull: login + sync_once(), FULL",
            ours["pulled"] / ours["seconds"],
            raw,
            "rows/s",
            goal_ratio=1 / 3,
            primary=True,
        )
        report.figure(
            "  sync_once() alone (login excluded)",
            ours["pulled"] / (ours["seconds"] - ours["login_seconds"]),
            raw,
            "rows/s",
        )
        report.figure(
            "  vs copy into the replica's own rows table", ours["pulled"] / ours["seconds"], replica_copy, "rows/s"
        )
        report.note("rows pulled (changes in petugas1's scope)", ours["pulled"])
        report.note("rows held in the replica after the pull", ours["held"])
        report.note("seconds, login + sync_once", round(ours["seconds"], 3))
        report.note("login seconds (one argon2 verify + session insert)", round(ours["login_seconds"], 3))
        report.note("breakdown (seconds)", ours["timers"])
        report.note("pull bytes on the wire / as JSON (compressed answers)", [ours["wire_bytes"], ours["json_bytes"]])
        report.note("content encodings seen", ours["encodings"])
        plain = run_client(base, data, tag="pull-identity", accept_encoding="identity")
        report.figure(
            "  same pull uncompressed (Accept-Encoding: identity)", plain["pulled"] / plain["seconds"], raw, "rows/s"
        )
        report.note("uncompressed pull bytes on the wire", plain["wire_bytes"])
        report.note("compressed / uncompressed bytes", round(ours["wire_bytes"] / max(plain["wire_bytes"], 1), 4))
        report.note(
            "baseline copies (rows/s): same table as the source / replica rows table", [round(raw), round(replica_copy)]
        )
        if extras:
            plain, _ = copy_baseline(data / "lumbung.sqlite3", base, "plain")
            report.figure(
                "extra: vs copy into a plain rowid table, no index", ours["pulled"] / ours["seconds"], plain, "rows/s"
            )
            normal = run_client(base, data, tag="pull-normal", synchronous="NORMAL")
            report.figure(
                "extra: server synchronous=NORMAL (client stays FULL)",
                normal["pulled"] / normal["seconds"],
                raw,
                "rows/s",
            )
    return report.save()


if __name__ == "__main__":
    import sys

    from bench.common import write_results

    write_results("pull", main(profile="--profile" in sys.argv))
