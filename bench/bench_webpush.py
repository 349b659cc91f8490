"""Benchmark: Web Push must not slow verification. 1,000 deposits of 1,000 members, two devices each.

Setup (untimed): the demo cooperative plus 1,000 members (location 1) with one login each, one
unverified cash deposit per member (by petugas1), and, for the push run only, two subscriptions per
member pointing at a loopback fake push service that runs as its own process and logs every request.

Timed: petugas2 verifies the 1,000 deposits, one ``deposit.verify`` per push request, in sequence.
- *push off*: a server with ``LUMBUNG_PUSH_ENABLED=false`` and no subscriptions;
- *push on*: the same database with 2,000 subscriptions, the sender running.
Both servers run in the same benchmark run, alternately (``--rounds``), each on a fresh copy. Goal: the
verification rate with push on is at least 0.9 of push off. Then every one of the 2,000 notices must
be at the receiver exactly once, decrypt with its device's key (aes128gcm) and carry a valid VAPID
signature; the delivery rate is notices / (time from the first verification to the last notice).

Run: ``.venv/bin/python -m bench.bench_webpush [--members N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import Report, checkpoint, demo_template, free_port, start_server, workdir, write_results

ROOT = Path(__file__).resolve().parents[1]


# --- the fake push service, as its own process ---------------------------------------------------


def serve_receiver(port: int, log_path: str) -> None:
    out = open(log_path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            out.write(
                json.dumps(
                    {
                        "t": time.time(),
                        "path": self.path,
                        "h": {k.lower(): v for k, v in self.headers.items()},
                        "b": base64.b64encode(body).decode(),
                    }
                )
                + "\n"
            )
            self.send_response(201)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("siap", flush=True)
    server.serve_forever()


# --- setup ----------------------------------------------------------------------------------------


def populate(data_dir: Path, members: int) -> list[tuple[int, int, str]]:
    """Members, their logins and one unverified deposit each: [(member_id, user_id, deposit_id)]."""
    from server.auth.passwords import Passwords
    from server.domain.models import Deposit, Member
    from server.storage import accounts, savings
    from server.storage.database import Database

    password_hash = Passwords(8192, 1).hash("rahasia123")
    rows = [(1000 + i, 10_000 + i, str(uuid.uuid4())) for i in range(1, members + 1)]
    db = Database(data_dir / "lumbung.sqlite3")
    now = dt.datetime.now(dt.UTC)

    def write(conn: Any) -> None:
        for member_id, user_id, deposit_id in rows:
            savings.insert_member(
                conn,
                Member(member_id, f"B{member_id:05d}", f"Anggota {member_id}", "anggota", 1),
                now.date().isoformat(),
            )
            accounts.insert_user(
                conn,
                user_id=user_id,
                username=f"bench{member_id}",
                name=f"Anggota {member_id}",
                password_hash=password_hash,
                role="anggota",
                member_id=member_id,
            )
            savings.insert_deposit(
                conn,
                Deposit(
                    id=deposit_id,
                    code=savings.next_code(conn, "STR", now),
                    member_id=member_id,
                    savings_type="sukarela",
                    kind="offline",
                    amount=50_000 + member_id,
                    location_id=1,
                    status="unverified",
                    created_by=101,
                    created_at=now,
                ),
            )

    try:
        db.write_sync(write, timeout=300)
    finally:
        db.close()
    checkpoint(data_dir / "lumbung.sqlite3")
    return rows


def subscribe_all(data_dir: Path, rows: list[tuple[int, int, str]], origin: str) -> dict[str, Any]:
    """Two devices per member, each with a live session and a subscription; returns path -> Device."""
    from server.notify.keys import KeyStore
    from server.notify.subscriptions import CheckedSubscription
    from server.storage import accounts
    from server.storage import push as store
    from server.storage.database import Database
    from tests.push.receiver import Device

    key = KeyStore(data_dir).ensure()
    devices: dict[str, Any] = {}
    db = Database(data_dir / "lumbung.sqlite3")
    now = dt.datetime.now(dt.UTC)

    def write(conn: Any) -> None:
        for member_id, user_id, _deposit in rows:
            for n in (1, 2):
                device = Device(f"{origin}/push/{member_id}-{n}")
                devices[f"/push/{member_id}-{n}"] = device
                session_id, client_id = uuid.uuid4().hex, uuid.uuid4().hex
                accounts.insert_session(
                    conn,
                    session_id=session_id,
                    user_id=user_id,
                    client_id=client_id,
                    refresh_hash=uuid.uuid4().hex,
                    now=now.isoformat(),
                    expires_at=(now + dt.timedelta(days=30)).isoformat(),
                )
                sub = device.subscription()
                store.upsert_subscription(
                    conn,
                    user_id=user_id,
                    member_id=member_id,
                    session_id=session_id,
                    client_id=client_id,
                    checked=CheckedSubscription(sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"]),
                    key_id=key.key_id,
                    now=now,
                )

    try:
        db.write_sync(write, timeout=300)
    finally:
        db.close()
    checkpoint(data_dir / "lumbung.sqlite3")
    return devices


# --- one timed run --------------------------------------------------------------------------------


def verify_all(url: str, rows: list[tuple[int, int, str]]) -> tuple[float, float]:
    """petugas2 verifies every deposit, one mutation per request; returns (start, end) wall times."""
    from server.protocol import DepositVerify
    from tests.support.api import login

    officer = login(url, "petugas2")
    try:
        start = time.time()
        for _member, _user, deposit_id in rows:
            [result] = officer.push_ops(DepositVerify(deposit_id=deposit_id))
            assert result["status"] == "applied", result
        return start, time.time()
    finally:
        officer.close()


def check_deliveries(
    log_path: Path, devices: dict[str, Any], rows: list[tuple[int, int, str]], public_key: str
) -> dict[str, Any]:
    from py_vapid import Vapid02

    by_member = {member_id: deposit_id for member_id, _u, deposit_id in rows}
    seen: dict[str, int] = {}
    last = 0.0
    for line in log_path.read_text().splitlines():
        hit = json.loads(line)
        device = devices[hit["path"]]
        payload = device.decrypt(base64.b64decode(hit["b"]))
        member_id = int(hit["path"].split("/")[-1].split("-")[0])
        assert payload["kind"] == "deposit.verified" and payload["ref"]["id"] == by_member[member_id], payload
        authorization = hit["h"]["authorization"]
        assert Vapid02.verify(authorization) and authorization.split("k=", 1)[1].strip() == public_key
        seen[hit["path"]] = seen.get(hit["path"], 0) + 1
        last = max(last, hit["t"])
    duplicates = sum(1 for c in seen.values() if c > 1)
    missing = len(devices) - len(seen)
    return {
        "delivered": sum(seen.values()),
        "devices_reached": len(seen),
        "duplicates": duplicates,
        "missing": missing,
        "last_at": last,
    }


def _start_receiver(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    receiver = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_webpush", "--receiver", str(port), str(log_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
    )
    assert receiver.stdout is not None and receiver.stdout.readline().strip() == b"siap"
    return receiver


def run_round(
    base: Path,
    template: Path,
    rows: list[tuple[int, int, str]],
    push: bool,
    tag: str,
    backlog: bool = False,
) -> dict[str, Any]:
    """One server on a fresh copy. ``backlog``: the push service is down while verifying and comes up
    after, so the figure is the sender's own rate at draining 2,000 waiting notices."""
    data = base / f"{tag}-{'on' if push else 'off'}"
    shutil.copytree(template, data)
    env = {"LUMBUNG_PUSH_ENABLED": "true" if push else "false", "LUMBUNG_PUSH_ALLOW_LOOPBACK_HTTP": "true"}
    if backlog:
        env.update({"LUMBUNG_PUSH_RETRY_BASE_SECONDS": "0.2", "LUMBUNG_PUSH_RETRY_MAX_SECONDS": "0.5"})
    receiver = None
    devices: dict[str, Any] = {}
    log_path = data / "receiver.jsonl"
    port = free_port()
    if push:
        if not backlog:
            receiver = _start_receiver(port, log_path)
        devices = subscribe_all(data, rows, f"http://127.0.0.1:{port}")
    server = start_server(data, **env)
    try:
        start, end = verify_all(server.url, rows)
        if backlog:
            time.sleep(1.0)  # every delivery has failed at least once and waits for a retry
            start = time.time()
            receiver = _start_receiver(port, log_path)
        result: dict[str, Any] = {"verify_seconds": end - start, "verify_rate": len(rows) / (end - start)}
        if push:
            from server.notify.keys import KeyStore

            expected = len(devices)
            deadline = time.time() + 180
            while (log_path.read_text().count("\n") if log_path.exists() else 0) < expected and time.time() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # room for a duplicate to show up
            check = check_deliveries(log_path, devices, rows, KeyStore(data).current().public_key)
            result.update(check)
            result["delivery_seconds"] = check["last_at"] - start
            result["delivery_rate"] = check["delivered"] / max(1e-9, check["last_at"] - start)
            result["drain_after_last_verify_s"] = max(0.0, check["last_at"] - end)
        return result
    finally:
        server.stop()
        if receiver is not None:
            receiver.terminate()
            receiver.wait(10)


def main(members: int = 1000, rounds: int = 1) -> dict[str, Any]:
    report = Report("webpush", f"verify {members} deposits of {members} members, 2 devices each: push on vs off")
    with workdir() as base:
        template = demo_template(base)
        rows = populate(template, members)
        offs, ons = [], []
        for r in range(rounds):  # alternate, and swap who goes first, so drift in the machine's load hits both
            order = (False, True) if r % 2 == 0 else (True, False)
            for push in order:
                (ons if push else offs).append(run_round(base, template, rows, push=push, tag=f"r{r}"))
        off_rate = statistics.median(x["verify_rate"] for x in offs)
        on_rate = statistics.median(x["verify_rate"] for x in ons)
        report.figure(
            "verifications/s with push on (median)", on_rate, off_rate, "verif/s", goal_ratio=0.9, primary=True
        )
        last = ons[-1]
        report.figure("notices delivered/s (first verify -> last notice)", last["delivery_rate"], None, "notices/s")
        for key in ("delivered", "devices_reached", "duplicates", "missing", "drain_after_last_verify_s"):
            report.note(key, last[key])
        report.note("rounds", {"off": offs, "on": [{k: v for k, v in x.items() if k != "last_at"} for x in ons]})
        drained = run_round(base, template, rows, push=True, tag="backlog", backlog=True)
        report.figure(
            "backlog drain: notices/s once the push service is back",
            drained["delivery_rate"],
            None,
            "notices/s",
            extra={k: v for k, v in drained.items() if k != "last_at"},
        )
        ok = all(x["missing"] == 0 and x["duplicates"] == 0 and x["delivered"] == 2 * members for x in [*ons, drained])
        report.note("every notice delivered exactly once", ok)
    data = report.save()
    write_results("webpush", data)
    return data


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receiver", nargs=2, metavar=("PORT", "LOG"), help=argparse.SUPPRESS)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if args.receiver:
        serve_receiver(int(args.receiver[0]), args.receiver[1])
    else:
        main(args.members, args.rounds)
