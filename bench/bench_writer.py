"""In-process writer cost of ``process_push`` (no HTTP): 10,000 ``deposit.create`` for petugas1.

Run alone: ``.venv/bin/python -m bench.bench_writer [--groups G] [--profile]``. ``--groups 1`` runs the
batches of 1,000 one task each (one device); ``--groups 40`` queues 40 pushes of 50 at once (the
writer groups them, a savepoint per task). Prints mutations/s of wall time and the writer thread's CPU
time inside ``process_push`` per mutation (the figure to compare on a busy machine). A quick A/B
tool for the Python cost per mutation on the writer thread; not part of ``run.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

MEMBERS = list(range(1, 13))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1, help="pushes queued together (each n/10/groups big)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    from server.domain.models import Actor, Limits
    from server.protocol import DepositCreate, Mutation
    from server.storage.database import Database
    from server.sync.push import process_push
    from tests.support.servers import make_demo_template

    base = Path(tempfile.mkdtemp(prefix="lumbung-writer-"))
    try:
        make_demo_template(base / "t")
        path = base / "t" / "lumbung.sqlite3"
        path = next((base / "t").glob("*.sqlite3")) if not path.exists() else path
        with sqlite3.connect(path) as conn:
            row = conn.execute("SELECT id FROM users WHERE username = 'petugas1'").fetchone()
        user_id = int(row[0])
        actor = Actor(user_id=user_id, role="petugas", location_ids=frozenset({1}))
        db = Database(path)
        per = 1000 if args.groups == 1 else 50
        devices = [uuid.uuid4().hex for _ in range(args.n // per)]
        now = dt.datetime.now(dt.UTC)
        db.write_sync(
            lambda c: [
                c.execute(
                    "INSERT INTO clients (client_id, user_id, created_at) VALUES (?, ?, ?)",
                    (d, user_id, now.isoformat()),
                )
                for d in devices
            ]
        )
        pushes = []
        for device in devices:
            pushes.append(
                (
                    device,
                    [
                        Mutation(
                            id=k + 1,
                            uuid=str(uuid.uuid4()),
                            user_id=user_id,
                            op=DepositCreate(
                                deposit_id=str(uuid.uuid4()),
                                member_id=MEMBERS[k % 12],
                                savings_type="sukarela",
                                kind="offline",
                                amount=10_000 + k,
                                location_id=1,
                                note=f"setoran {k}",
                            ),
                        )
                        for k in range(per)
                    ],
                )
            )
        limits = Limits()
        profiler = None
        cpu = [0.0]  # writer-thread CPU seconds inside process_push: robust to other load on the machine
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
        start = time.perf_counter()
        step = 1 if args.groups == 1 else args.groups
        for s in range(0, len(pushes), step):
            futures = []
            for device, muts in pushes[s : s + step]:

                def task(c, device=device, muts=muts):
                    if profiler:
                        profiler.enable()
                    began = time.thread_time()
                    try:
                        return process_push(c, actor, device, muts, limits, now)
                    finally:
                        cpu[0] += time.thread_time() - began
                        if profiler:
                            profiler.disable()

                futures.append(db.submit(task))
            for f in futures:
                r = f.result()
                assert all(x.status == "applied" for x in r.results), r.results[:1]
        elapsed = time.perf_counter() - start
        db.close()
        with sqlite3.connect(path) as conn:
            count = conn.execute("SELECT COUNT(*) FROM deposits WHERE created_by = ?", (user_id,)).fetchone()[0]
        print(
            f"groups={args.groups}: {args.n / elapsed:,.0f} mut/s ({elapsed:.2f} s wall),"
            f" process_push CPU {cpu[0] / args.n * 1e6:.1f} us/mutation, deposits={count}"
        )
        if profiler:
            import pstats

            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
