"""Login flood: 48 concurrent wrong logins against a real server process (issue 7.1).

Measures the server's peak resident memory (``VmHWM`` of its process) and ``/api/health`` latency
while the flood runs, at the production argon2 cost (64 MiB per check). Two floods, one after the
other on a fresh server each: 48 wrong passwords for one account, and 48 wrong passwords for 48
different (unknown) usernames, which no per-account throttle can stop (only the bound on
concurrent password checks does).

Only 127.0.0.1, bounded: each flood sends ``--rounds`` waves of 48 requests and stops.

    .venv/bin/python -m bench.bench_login_flood                  # this worktree's code
    .venv/bin/python -m bench.bench_login_flood --code-root /path/to/other/checkout   # "before"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {"X-Lumbung-Protocol": "1"}
CONCURRENCY = 48


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(code_root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(code_root),
        "LUMBUNG_ARGON2_MEMORY_KIB": "65536",
        "LUMBUNG_ARGON2_TIME_COST": "3",
        "LUMBUNG_ALLOW_DEMO_ACCOUNTS": "1",
    }


def prepare(code_root: Path, data_dir: Path) -> None:
    """The demo cooperative, made by the code under test; one account gets a production-cost hash."""
    env = {**_env(code_root), "LUMBUNG_ARGON2_MEMORY_KIB": "8192", "LUMBUNG_ARGON2_TIME_COST": "1"}
    subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data_dir), "demo"],
        cwd=code_root,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with sqlite3.connect(data_dir / "lumbung.sqlite3") as conn:
        conn.execute(
            "UPDATE users SET password_hash = ? WHERE username = 'anggota01'",
            (PasswordHasher(memory_cost=65536, time_cost=3).hash("rahasia123"),),
        )


def _rss_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _flood(url: str, usernames: list[str], rounds: int) -> dict[str, object]:
    statuses: dict[int, int] = {}
    health: list[float] = []
    stop = asyncio.Event()

    async def probe(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await client.get(f"{url}/api/health")
            health.append(time.perf_counter() - started)
            await asyncio.sleep(0.1)

    async def one(client: httpx.AsyncClient, username: str) -> None:
        try:
            r = await client.post(
                f"{url}/api/auth/login",
                headers=HEADERS,
                json={"username": username, "password": "salah-sekali", "client_id": os.urandom(8).hex()},
            )
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        except httpx.HTTPError:
            statuses[-1] = statuses.get(-1, 0) + 1

    limits = httpx.Limits(max_connections=CONCURRENCY + 4)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client, httpx.AsyncClient(timeout=120) as prober:
        probing = asyncio.create_task(probe(prober))
        started = time.perf_counter()
        for _ in range(rounds):
            await asyncio.gather(*(one(client, name) for name in usernames))
        elapsed = time.perf_counter() - started
        stop.set()
        await probing
    return {
        "statuses": statuses,
        "seconds": round(elapsed, 2),
        "health_max_ms": round(max(health) * 1000, 1),
        "health_median_ms": round(statistics.median(health) * 1000, 1),
        "health_probes": len(health),
    }


def run_one(code_root: Path, template: Path, scenario: str, rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="lumbung-flood-") as tmp:
        data = Path(tmp) / "data"
        subprocess.run(["cp", "-r", str(template), str(data)], check=True)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = (Path(tmp) / "server.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "--data-dir", str(data), "serve", "--port", str(port)],
            cwd=code_root,
            env=_env(code_root),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start: " + (Path(tmp) / "server.log").read_text()[-2000:])
                time.sleep(0.1)
            idle = _rss_mib(proc.pid)
            names = (
                ["anggota01"] * CONCURRENCY
                if scenario == "one-account"
                else [f"tamu{i:02d}" for i in range(CONCURRENCY)]
            )
            result = asyncio.run(_flood(url, names, rounds))
            return {
                "scenario": scenario,
                "rss_idle_mib": round(idle, 1),
                "rss_peak_mib": round(_rss_hwm_mib(proc.pid), 1),
                **result,
            }
        finally:
            proc.terminate()
            proc.wait(20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code-root", default=str(ROOT), help="checkout whose server to measure")
    parser.add_argument("--rounds", type=int, default=2, help="waves of 48 concurrent wrong logins")
    args = parser.parse_args(argv)
    code_root = Path(args.code_root).resolve()
    with tempfile.TemporaryDirectory(prefix="lumbung-flood-template-") as tmp:
        template = Path(tmp) / "data"
        prepare(code_root, template)
        results = [run_one(code_root, template, s, args.rounds) for s in ("one-account", "distinct-usernames")]
    print(
        json.dumps(
            {"code_root": str(code_root), "concurrency": CONCURRENCY, "rounds": args.rounds, "results": results},
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
