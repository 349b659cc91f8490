"""Benchmark 1b, month-end push: 200 devices push 50 mutations each at once, against one device pushing
the same 10,000 mutations, both measured in this run on fresh copies of the same server.

Ours: 200 client ids (100 each for petugas1 and petugas2, officers of location 1) log in, each holding
one ready-encoded push of 50 ``deposit.create``. On "go" all 200 connect and send at once, each on
its own connection, and the figure is 10,000 / (last answer - go).
A ``503 busy`` is retried after a short jittered pause, as a device would (counted and reported).
Baseline: one device (petugas1) pushing the same number of mutations in batches of the server's
maximum (1,000), one after the other, encoded beforehand the same way.
Both are sent by the same lean load generator in its own process (``bench/crowd.py``), so the 200
devices cost this machine's two cores about 0.07 CPU seconds instead of the 1-2 s of 200 httpx
threads (that earlier harness is kept as an extra line, ``run_many_threads``). Group commit (the writer runs
whatever is queued in one transaction, a savepoint per push) should make the crowd no slower.
Both check on the server file that every mutation was applied exactly once.
"""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.bench_push import loop_thread_cpu, process_cpu
from bench.common import DEMO_PASSWORD, ROOT, Report, ServerProfile, demo_template, start_server, workdir

MEMBERS = list(range(1, 13))
OFFICERS = ("petugas1", "petugas2")


def _login(url: str, username: str) -> dict[str, Any]:
    from server.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

    client_id = uuid.uuid4().hex
    response = httpx.post(
        f"{url}/api/auth/login",
        json={"username": username, "password": DEMO_PASSWORD, "client_id": client_id},
        headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)},
        timeout=30,
    )
    response.raise_for_status()
    body = response.json()
    return {"client_id": client_id, "token": body["access_token"], "user_id": body["user"]["id"]}


def _bodies(device: dict[str, Any], count: int, batch: int, first_amount: int) -> list[bytes]:
    """Encoded pushes of ``count`` cash deposits, ``batch`` per request, numbered 1..count."""
    from server.protocol import DepositCreate, Mutation, PushRequest, encode

    mutations = [
        Mutation(
            id=i + 1,
            uuid=str(uuid.uuid4()),
            user_id=device["user_id"],
            op=DepositCreate(
                deposit_id=str(uuid.uuid4()),
                member_id=MEMBERS[i % len(MEMBERS)],
                savings_type="sukarela",
                kind="offline",
                amount=first_amount + i,
                location_id=1,
                note=f"setoran {i}",
            ),
        )
        for i in range(count)
    ]
    return [
        encode(PushRequest(client_id=device["client_id"], mutations=mutations[s : s + batch]))
        for s in range(0, count, batch)
    ]


def _post(http: httpx.Client, token: str, body: bytes, stats: dict[str, int]) -> dict[str, Any]:
    from server.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

    headers = {
        PROTOCOL_HEADER: str(PROTOCOL_VERSION),
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    for _ in range(200):
        response = http.post("/api/sync/push", content=body, headers=headers)
        if response.status_code == 503:
            stats["busy"] = stats.get("busy", 0) + 1
            time.sleep(random.uniform(0.01, 0.1))
            continue
        response.raise_for_status()
        return response.json()
    raise RuntimeError("push still busy after 200 tries")


def _applied(db_path: Path, user_ids: list[int]) -> tuple[int, int]:
    with sqlite3.connect(db_path) as conn:
        marks = ",".join("?" * len(user_ids))
        deposits = conn.execute(f"SELECT COUNT(*) FROM deposits WHERE created_by IN ({marks})", user_ids).fetchone()[0]
        mutations = conn.execute(
            f"SELECT COUNT(*) FROM mutations WHERE user_id IN ({marks}) AND status = 'applied'", user_ids
        ).fetchone()[0]
    return deposits, mutations


def _run_streams(base: Path, server: Any, streams: list[dict[str, Any]], tag: str) -> dict[str, Any]:
    """Send ``streams`` with ``bench/crowd.py`` in its own process; its answer plus the server's CPU."""
    jobs = base / f"jobs-{tag}.json"
    jobs.write_text(json.dumps(streams), encoding="utf-8")
    crowd = subprocess.Popen(
        [sys.executable, "-m", "bench.crowd", str(server.port), str(jobs)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.5)  # the process has started and read its jobs; it waits for "go"
        pid = server.proc.pid if server.proc else None
        cpu, loop = process_cpu(pid), loop_thread_cpu(pid)
        out, _ = crowd.communicate("go\n", timeout=180)
        cpu, loop = process_cpu(pid) - cpu, loop_thread_cpu(pid) - loop
    finally:
        if crowd.poll() is None:
            crowd.kill()
    if crowd.returncode != 0:
        raise RuntimeError(f"bench/crowd.py failed ({crowd.returncode})")
    answer: dict[str, Any] = json.loads(out)
    assert answer["not_applied"] == 0, answer
    return {**answer, "server_cpu": cpu, "loop_cpu": loop}


def run_single(base: Path, template: Path, total: int, tag: str) -> dict[str, Any]:
    """One device, ``total`` mutations in batches of 1,000, sequential; mutations/s."""
    from tests.support.servers import copy_template

    server = start_server(copy_template(template, base / f"server-{tag}"))
    try:
        device = _login(server.url, "petugas1")
        bodies = [b.decode() for b in _bodies(device, total, 1000, 10_000)]
        httpx.get(f"{server.url}/api/health")
        answer = _run_streams(base, server, [{"token": device["token"], "bodies": bodies}], tag)
    finally:
        server.stop()
    assert answer["applied"] == total
    assert _applied(server.db_path, [101]) == (total, total)
    return {**answer, "rate": total / answer["seconds"]}


def run_many(base: Path, template: Path, devices: int, each: int, tag: str, profile: bool = False) -> dict[str, Any]:
    """``devices`` devices, ``each`` mutations in one push each, all sent at once; mutations/s."""
    from tests.support.servers import copy_template

    server = start_server(copy_template(template, base / f"server-{tag}"))
    try:
        logins = [_login(server.url, OFFICERS[i % len(OFFICERS)]) for i in range(devices)]
        streams = [
            {"token": d["token"], "bodies": [_bodies(d, each, each, 10_000 + i * each)[0].decode()]}
            for i, d in enumerate(logins)
        ]
        with ServerProfile(server.proc.pid if server.proc else None, tag, profile):
            answer = _run_streams(base, server, streams, tag)
    finally:
        server.stop()
    total = devices * each
    assert answer["applied"] == total
    assert _applied(server.db_path, [101, 102]) == (total, total)
    return {**answer, "rate": total / answer["seconds"]}


def run_many_threads(base: Path, template: Path, devices: int, each: int, tag: str) -> dict[str, Any]:
    """The earlier harness: ``devices`` httpx clients as threads of this process, all sent at once.

    Kept as a reference line: those threads cost this process 1-2 CPU seconds on the server's two
    cores, so this figure is bounded by the load generator rather than by the server."""
    from tests.support.servers import copy_template

    server = start_server(copy_template(template, base / f"server-{tag}"))
    try:
        logins = [_login(server.url, OFFICERS[i % len(OFFICERS)]) for i in range(devices)]
        bodies = [_bodies(d, each, each, 10_000 + i * each)[0] for i, d in enumerate(logins)]
        barrier = threading.Barrier(devices + 1)
        ends: list[float] = [0.0] * devices
        answers: list[dict[str, Any] | None] = [None] * devices
        errors: list[BaseException] = []
        stats: dict[str, int] = {}

        def device(i: int) -> None:
            try:
                with httpx.Client(base_url=server.url, timeout=120) as http:
                    barrier.wait()
                    answers[i] = _post(http, logins[i]["token"], bodies[i], stats)
                    ends[i] = time.perf_counter()
            except BaseException as exc:  # noqa: BLE001 - any failure, reported after the run
                errors.append(exc)
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.abort()

        threads = [threading.Thread(target=device, args=(i,), daemon=True) for i in range(devices)]
        for t in threads:
            t.start()
        pid = server.proc.pid if server.proc else None
        cpu, client_cpu = process_cpu(pid), time.process_time()
        barrier.wait(timeout=120)
        start = time.perf_counter()
        for t in threads:
            t.join(300)
        cpu, client_cpu = process_cpu(pid) - cpu, time.process_time() - client_cpu
        if errors:
            raise errors[0]
        seconds = max(ends) - start
        assert all(a is not None and all(r["status"] == "applied" for r in a["results"]) for a in answers)
    finally:
        server.stop()
    total = devices * each
    assert _applied(server.db_path, [101, 102]) == (total, total)
    return {"rate": total / seconds, "seconds": seconds, "server_cpu": cpu, "client_cpu": client_cpu}


def main(
    devices: int = 200, each: int = 50, rounds: int = 3, profile: bool = False, extras: bool = True
) -> dict[str, Any]:
    total = devices * each
    report = Report("push-many", f"{devices} devices x {each} mutations pushed at once vs one device pushing {total:,}")
    with workdir() as base:
        template = demo_template(base)
        singles, crowds = [], []
        for r in range(rounds):  # alternate, so load from other work falls on both
            singles.append(run_single(base, template, total, f"single-{r}"))
            crowds.append(run_many(base, template, devices, each, f"many-{r}", profile=profile and r == rounds - 1))
        single = statistics.median(s["rate"] for s in singles)
        crowd = statistics.median(c["rate"] for c in crowds)
        report.figure(
            f"{devices} devices x {each} at once (median of {rounds})",
            crowd,
            single,
            "mut/s",
            goal_ratio=1.0,
            primary=True,
        )
        report.note(
            "baseline: one device, batches of 1000, sequential (mut/s, each round)", [round(s["rate"]) for s in singles]
        )
        report.note(f"{devices} devices at once (mut/s, each round)", [round(c["rate"]) for c in crowds])
        report.note("503 busy answers retried (crowd, each round)", [c["busy"] for c in crowds])
        per = 1e6 / total  # CPU seconds -> microseconds per mutation: robust to other load on the machine
        report.note(
            "server CPU per mutation, one device (us, each round)", [round(s["server_cpu"] * per) for s in singles]
        )
        report.note(
            f"server CPU per mutation, {devices} devices (us, each round)",
            [round(c["server_cpu"] * per) for c in crowds],
        )
        report.note(
            "server CPU s, event loop thread / the others (writer, readers), one device | crowd (each round)",
            [
                [round(s["loop_cpu"], 2), round(s["server_cpu"] - s["loop_cpu"], 2), "|"]
                + [round(c["loop_cpu"], 2), round(c["server_cpu"] - c["loop_cpu"], 2)]
                for s, c in zip(singles, crowds, strict=True)
            ],
        )
        report.note(
            "load generator CPU seconds, one device / crowd (each round; the server's two cores)",
            [[round(s["client_cpu"], 3), round(c["client_cpu"], 3)] for s, c in zip(singles, crowds, strict=True)],
        )
        report.note(
            "seconds, one device / crowd (each round)",
            [[round(s["seconds"], 3), round(c["seconds"], 3)] for s, c in zip(singles, crowds, strict=True)],
        )
        if extras:
            threads = run_many_threads(base, template, devices, each, "many-threads")
            report.note(
                f"the earlier harness, {devices} httpx threads in the bench process (mut/s, ratio, its CPU s)",
                [round(threads["rate"]), round(threads["rate"] / single, 3), round(threads["client_cpu"], 3)],
            )
    return report.save()


if __name__ == "__main__":
    from bench.common import write_results

    write_results("push-many", main(profile="--profile" in sys.argv))
