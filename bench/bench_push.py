"""Benchmark 1, push: one officer device's 10,000 queued cash deposits, sent with ``client_sync``.

Ours: petugas1 (officer of location 1) logs in and pulls once, then queues N ``deposit.create``
(kind ``offline``, members 1-12 in turn, location 1) while offline, i.e. before any sync. We time
``SyncClient.sync_once()`` with the library's defaults, which pushes the outbox in batches
(``batch_size``) and then pulls the feed until caught up, and check that all N are applied on the
server (and none left pending on the device). Extra lines: the server at ``synchronous=NORMAL``, and
the other client batch size (200 or 1000, the server's maximum).

Baseline: raw ``sqlite3`` inserting N similar rows into the server's own ``deposits`` table (same
columns, indexes, constraints, foreign keys; WAL, ``synchronous=FULL``) with ``executemany`` in one
transaction. A reference line (no goal) runs the rows one ``deposit.create`` really writes (deposit,
two change-log rows, processed mutation, code counter) in raw SQL with a minimal Python loop. A
ceiling line runs the same rows at their real size, prepared beforehand, with the server's own
statements batched as its writer batches them: SQLite's cost alone, which no end-to-end figure can beat.
"""

from __future__ import annotations

import datetime as dt
import os
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
    client_profile,
    demo_template,
    officer_deposit,
    start_server,
    workdir,
)

MEMBERS = list(range(1, 13))  # location 1's members in the demo cooperative
DEPOSIT_COLUMNS = (
    "id",
    "code",
    "member_id",
    "savings_type",
    "kind",
    "amount",
    "location_id",
    "status",
    "created_by",
    "created_at",
    "bank_account_id",
    "transfer_date",
    "sender_bank",
    "account_holder",
    "note",
    "attachment",
    "device_time",
    "decided_by",
    "decided_at",
    "reason",
)


def _reference_db(path: Path, synchronous: str) -> sqlite3.Connection:
    """A migrated database with the reference rows a deposit needs (location, type, members, officer)."""
    from server.storage.migrate import upgrade

    upgrade(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO locations (id, name) VALUES (1, 'Kantor Pusat')")
    conn.execute("INSERT INTO savings_types (code, name, withdrawable) VALUES ('sukarela', 'Simpanan Sukarela', 1)")
    for m in MEMBERS:
        conn.execute(
            "INSERT INTO members (id, number, name, kind, location_id, joined_at) VALUES (?, ?, ?, 'anggota', 1,"
            " '2026-01-01')",
            (m, f"A{m:04d}", f"Anggota {m}"),
        )
    conn.execute(
        "INSERT INTO users (id, username, name, password_hash, role) VALUES (101, 'petugas1', 'x', 'x', 'petugas')"
    )
    conn.execute("COMMIT")
    return conn


def raw_baseline(base: Path, n: int, synchronous: str = "FULL") -> float:
    """Rows/s of raw executemany into the real ``deposits`` table, one transaction."""
    # the server's own schema: the deposits table with its indexes and constraints
    conn = _reference_db(base / f"raw-{synchronous.lower()}.sqlite3", synchronous)
    now = dt.datetime.now(dt.UTC)
    rows = [
        (
            str(uuid.uuid4()),
            f"STR-2611-{i + 1:06d}",
            MEMBERS[i % len(MEMBERS)],
            "sukarela",
            "offline",
            10_000 + i,
            1,
            "unverified",
            101,
            now.isoformat(),
            None,
            None,
            None,
            None,
            "",
            None,
            now.isoformat(),
            None,
            None,
            None,
        )
        for i in range(n)
    ]
    sql = f"INSERT INTO deposits ({','.join(DEPOSIT_COLUMNS)}) VALUES ({','.join('?' * len(DEPOSIT_COLUMNS))})"
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(sql, rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    assert conn.execute("SELECT COUNT(*) FROM deposits").fetchone()[0] == n
    conn.close()
    return n / elapsed


def write_set_floor(base: Path, n: int) -> float:
    """Mutations/s of the same rows one ``deposit.create`` writes, in raw SQL with a minimal Python loop.

    Per mutation: the deposit row, its change-log row, the code counter, the processed-mutation row and
    its change-log row (then the client's counter once), in the real schema, one transaction, FULL; no
    savepoints, no domain code, no HTTP. Not a goal's baseline: it shows how much of our time the write
    set itself costs.
    """
    conn = _reference_db(base / "write-set.sqlite3", "FULL")
    conn.execute("INSERT INTO clients (client_id, user_id, created_at) VALUES ('bench', 101, '2026-01-01')")
    now = dt.datetime.now(dt.UTC).isoformat()
    work = [(str(uuid.uuid4()), str(uuid.uuid4()), MEMBERS[i % len(MEMBERS)], 10_000 + i) for i in range(n)]
    deposit_sql = f"INSERT INTO deposits ({','.join(DEPOSIT_COLUMNS)}) VALUES ({','.join('?' * len(DEPOSIT_COLUMNS))})"
    change_sql = (
        "INSERT INTO changes (entity, entity_id, op, data, audience, scope_member, scope_location, scope_user)"
        " VALUES (?, ?, 'put', ?, ?, ?, ?, ?)"
    )
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for i, (deposit_id, mutation_uuid, member, amount) in enumerate(work, start=1):
        number = conn.execute(
            "INSERT INTO code_counters (prefix, next) VALUES ('STR', 2) ON CONFLICT (prefix)"
            " DO UPDATE SET next = next + 1 RETURNING next - 1"
        ).fetchone()[0]
        row = (
            deposit_id,
            f"STR-2611-{number:06d}",
            member,
            "sukarela",
            "offline",
            amount,
            1,
            "unverified",
            101,
            now,
            None,
            None,
            None,
            None,
            "",
            None,
            now,
            None,
            None,
            None,
        )
        conn.execute(deposit_sql, row)
        conn.execute(
            change_sql, ("deposit", deposit_id, f'{{"id":"{deposit_id}","amount":{amount}}}', "scoped", member, 1, 101)
        )
        seq = conn.execute(
            change_sql, ("mutation", mutation_uuid, '{"status":"applied"}', "private", None, None, 101)
        ).lastrowid
        conn.execute(
            "INSERT INTO mutations (uuid, client_id, mutation_id, user_id, name, status, visible_at,"
            " received_at) VALUES (?, 'bench', ?, 101, 'deposit.create', 'applied', ?, ?)",
            (mutation_uuid, i, seq, now),
        )
    conn.execute("UPDATE clients SET last_mutation_id = ? WHERE client_id = 'bench'", (n,))
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def write_set_ceiling(base: Path, n: int, batch: int = 1000) -> float:
    """Mutations/s of SQLite alone executing our write set as the writer does: the ceiling of any figure.

    The same statements as the server's push pass (``storage.savings`` / ``storage.feed``), the same
    rows at their real size (the deposit's full JSON in its change row, the mutation result's JSON),
    prepared beforehand; per batch of ``batch``: one transaction, one ``executemany`` per table, the code
    counter and the client counter once, FULL. No Python per row, no HTTP, no client: with those at
    zero cost, end to end could reach this and no more.
    """
    import msgspec

    from server.domain.models import Deposit
    from server.storage import feed, savings

    conn = _reference_db(base / "write-set-ceiling.sqlite3", "FULL")
    conn.execute("INSERT INTO clients (client_id, user_id, created_at) VALUES ('bench', 101, '2026-01-01')")
    now = dt.datetime.now(dt.UTC)
    encode = msgspec.json.Encoder().encode
    batches = []
    for first in range(0, n, batch):
        deposits, changes, mutations = [], [], []
        for i in range(first, min(first + batch, n)):
            deposit = msgspec.to_builtins(officer_deposit(i, f"STR-2611-{i + 1:06d}", now, MEMBERS))
            mutation = str(uuid.uuid4())
            result = {
                "client_id": "bench",
                "id": i + 1,
                "uuid": mutation,
                "name": "deposit.create",
                "status": "applied",
            }
            result.update(code=None, message=None)
            deposits.append([deposit.get(name) for name in Deposit.__struct_fields__])
            scope = ("scoped", deposit["member_id"], 1, 101)
            changes.append((2 * i + 1, "deposit", deposit["id"], "put", encode(deposit).decode(), *scope))
            changes.append(
                (2 * i + 2, "mutation", mutation, "put", encode(result).decode(), "private", None, None, 101)
            )
            mutations.append(
                (
                    mutation,
                    "bench",
                    i + 1,
                    101,
                    "deposit.create",
                    "applied",
                    None,
                    None,
                    2 * i + 2,
                    now.isoformat(),
                    None,
                )
            )
        batches.append((deposits, changes, mutations, min(first + batch, n)))
    start = time.perf_counter()
    for deposits, changes, mutations, last in batches:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO code_counters (prefix, next) VALUES ('STR', ?) ON CONFLICT (prefix) DO UPDATE SET next = ?",
            (last + 1, last + 1),
        )
        conn.executemany(savings._INSERT_DEPOSIT, deposits)
        conn.executemany(feed._INSERT_CHANGE_AT, changes)
        conn.executemany(feed._INSERT_MUTATION, mutations)
        conn.execute("UPDATE clients SET last_mutation_id = ? WHERE client_id = 'bench'", (last,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    assert conn.execute("SELECT COUNT(*) FROM deposits").fetchone()[0] == n
    conn.close()
    return n / elapsed


def process_cpu(pid: int | None, stat: str = "") -> float:
    """CPU seconds (user + system) a process has used so far, from /proc (0 where unavailable).

    On a shared machine wall-clock rates scatter with other load; CPU time per mutation does much less."""
    if pid is None:
        return 0.0
    try:
        fields = Path(stat or f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loop_thread_cpu(pid: int | None) -> float:
    """CPU seconds of a process's main thread so far: the server's event loop (uvicorn runs it there)."""
    if pid is None:
        return 0.0
    return process_cpu(pid, f"/proc/{pid}/task/{pid}/stat")


def run_client(
    base: Path,
    template: Path,
    n: int,
    *,
    batch_size: int | None = None,
    synchronous: str = "FULL",
    profile: bool = False,
    tag: str = "push",
) -> dict[str, Any]:
    """Queue ``n`` deposits offline on a fresh device, then time ``sync_once``. Returns timings."""
    from client_sync import SyncClient
    from server.protocol import DepositCreate
    from tests.support.servers import copy_template

    data = copy_template(template, base / f"server-{tag}")
    server = start_server(data, LUMBUNG_SQLITE_SYNCHRONOUS=synchronous)
    try:
        options = {} if batch_size is None else {"batch_size": batch_size}  # default: the library's own
        client = SyncClient(base / f"device-{tag}.sqlite3", server.url, device_name="bench", **options)
        used_batch = client.batch_size
        client.login("petugas1", DEMO_PASSWORD)
        first = client.sync_once()  # the officer's device holds its location's members before going offline
        assert not first.errors, first.errors

        start = time.perf_counter()
        for i in range(n):
            client.queue(
                DepositCreate(
                    deposit_id=SyncClient.new_id(),
                    member_id=MEMBERS[i % len(MEMBERS)],
                    savings_type="sukarela",
                    kind="offline",
                    amount=10_000 + i,
                    location_id=1,
                    note=f"setoran {i}",
                )
            )
        queue_seconds = time.perf_counter() - start

        timers = Timers()
        transport = client._require_transport()
        transport.push = timers.wrap("http push (request+server+decode)", transport.push)
        transport.pull = timers.wrap("http pull (request+server+decode)", transport.pull)
        store = client.store
        store.items = timers.wrap("client outbox read (items)", store.items)
        store.apply_page = timers.wrap("client apply_page", store.apply_page)
        marks: dict[str, float] = {}
        pid = server.proc.pid if server.proc else None
        cpu_marks: dict[str, tuple[float, float]] = {}
        pulled = {"now": 0, "during_push": 0}
        record = timers.wrap("client record_results", store.record_results)

        def recorded(*args: Any, **kwargs: Any) -> Any:
            """The push phase ends when the last answer is written down (pages may be pulled meanwhile)."""
            outcome = record(*args, **kwargs)
            marks["pushed"] = time.perf_counter()
            cpu_marks["pushed"] = (process_cpu(pid), time.process_time())
            pulled["during_push"] = pulled["now"]
            return outcome

        store.record_results = recorded

        def progress(stage: str, count: int) -> None:
            if stage == "pull":
                pulled["now"] = count

        with client_profile(tag, profile), ServerProfile(pid, tag, profile):
            server_cpu, client_cpu = process_cpu(pid), time.process_time()
            start = time.perf_counter()
            summary = client.sync_once(progress)
            sync_seconds = time.perf_counter() - start
            server_cpu_end, client_cpu_end = process_cpu(pid), time.process_time()
        push_seconds = marks.get("pushed", start + sync_seconds) - start
        server_push_cpu, client_push_cpu = cpu_marks.get("pushed", (server_cpu_end, client_cpu_end))
        cpu = {
            "server_cpu_sync_s": round(server_cpu_end - server_cpu, 3),
            "client_cpu_sync_s": round(client_cpu_end - client_cpu, 3),
            "server_cpu_push_phase_s": round(server_push_cpu - server_cpu, 3),
            "client_cpu_push_phase_s": round(client_push_cpu - client_cpu, 3),
        }
        assert not summary.errors, summary.errors
        assert summary.applied == n and not summary.rejected, (summary.applied, summary.rejected[:3])
        assert client.status().pending == 0
        client.close()
    finally:
        server.stop()
    with sqlite3.connect(server.db_path) as conn:  # the server really holds them
        stored = conn.execute(
            "SELECT COUNT(*) FROM deposits WHERE created_by = 101 AND status = 'unverified' AND kind = 'offline'"
        ).fetchone()[0]
    assert stored == n, stored
    return {
        "sync_seconds": sync_seconds,
        "queue_seconds": queue_seconds,
        "push_phase_seconds": push_seconds,
        "pulled": summary.pulled,
        "pulled_during_push": pulled["during_push"],
        "timers": timers.as_dict(),
        "batch_size": used_batch,
        "cpu": cpu,
    }


def main(n: int = 10_000, profile: bool = False, extras: bool = True) -> dict[str, Any]:
    report = Report("push", f"{n:,} queued deposit.create (officer, cash) pushed by client_sync.sync_once()")
    with workdir() as base:
        template = demo_template(base)
        raw = raw_baseline(base, n)
        ours = run_client(base, template, n, profile=profile)
        rate = n / ours["sync_seconds"]
        report.figure("push: sync_once() (push + pull back), FULL", rate, raw, "mut/s", goal_ratio=0.25, primary=True)
        report.figure(
            "  push phase only (until the last answer is recorded)", n / ours["push_phase_seconds"], raw, "mut/s"
        )
        report.note("raw sqlite3 executemany, one transaction, FULL (rows/s)", round(raw))
        floor = write_set_floor(base, n)
        report.figure("reference: our write set in raw SQL", floor, raw, "mut/s")
        report.figure("push: sync_once() vs our own write set in raw SQL", rate, floor, "mut/s", goal_ratio=0.5)
        report.figure("  push phase vs our own write set in raw SQL", n / ours["push_phase_seconds"], floor, "mut/s")
        report.note("ours as a share of our own write set in raw SQL", round(rate / floor, 3))
        ceiling = write_set_ceiling(base, n)
        report.figure("ceiling: SQLite alone on our write set, as batched", ceiling, raw, "mut/s")
        report.note("ours as a share of that ceiling", round(rate / ceiling, 3))
        report.note("client batch_size (SyncClient default)", ours["batch_size"])
        report.note("sync_once seconds", round(ours["sync_seconds"], 3))
        report.note("changes pulled back in the same sync_once", ours["pulled"])
        report.note("of which pulled while the push ran", ours["pulled_during_push"])
        report.note("client queue() rate, one durable transaction per item (items/s)", round(n / ours["queue_seconds"]))
        report.note("breakdown of sync_once (seconds)", ours["timers"])
        report.note("CPU seconds during sync_once, server process and client (robust to other load)", ours["cpu"])
        report.note(
            "server CPU per mutation, push phase (us)", round(ours["cpu"]["server_cpu_push_phase_s"] / n * 1e6, 1)
        )
        if extras:
            normal_raw = raw_baseline(base, n, "NORMAL")
            normal = run_client(base, template, n, synchronous="NORMAL", tag="push-normal")
            report.figure("extra: server synchronous=NORMAL", n / normal["sync_seconds"], normal_raw, "mut/s")
            for size in (200, 1000):
                if size == ours["batch_size"]:
                    continue
                other = run_client(base, template, n, batch_size=size, tag=f"push-batch{size}")
                report.figure(f"extra: client batch_size={size}, FULL", n / other["sync_seconds"], raw, "mut/s")
                report.note(f"batch_size={size} breakdown (seconds)", other["timers"])
    return report.save()


if __name__ == "__main__":
    import sys

    from bench.common import write_results

    write_results("push", main(profile="--profile" in sys.argv))
