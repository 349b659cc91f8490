"""Benchmark 3, idle pull under load: 200 concurrent clients pulling with nothing new.

Ours: the demo server (its own process, ``lumbung-server serve`` via ``ProcessServer``). 200 client ids
are logged in (25 each for a handful of demo users: officers, members, a board member) and pulled to
the head, so every pull answers an empty page. The load generator (``wrk`` with ``bench/idle.lua``, or
``bench/loadgen.py`` as a fallback) keeps 200 connections busy, each request being one of the 200
clients' ``GET /api/sync/pull`` with its own token, client id and cursor.

Baseline: ``bench/bare_app.py``, a bare Litestar JSON endpoint served the same way (uvicorn, one
worker, ``log_level="info"``), under the same load generator with the same connection count.

Runs alternate bare, ours, bare, ours after a warm-up of each; the figure is the mean of the rounds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    BENCH,
    DEMO_PASSWORD,
    ROOT,
    Report,
    ServerProfile,
    demo_template,
    free_port,
    start_server,
    workdir,
)

USERS = ["petugas1", "petugas2", "petugas3", "anggota01", "anggota02", "anggota07", "anggota15", "pengurus1"]
HEADERS = {"X-Lumbung-Protocol": "1"}


def login_clients(url: str, clients: int) -> list[tuple[str, str]]:
    """Log in ``clients`` client ids and pull each to the head; returns (idle pull path, token)."""
    targets = []
    with httpx.Client(base_url=url, headers=HEADERS, timeout=30) as http:
        for k in range(clients):
            client_id = f"bench{k:04d}{os.urandom(6).hex()}"
            username = USERS[k % len(USERS)]
            r = http.post(
                "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD, "client_id": client_id}
            )
            r.raise_for_status()
            token = r.json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            cursor = ""
            for _ in range(100):
                params = {"client_id": client_id, "limit": 1000, **({"cursor": cursor} if cursor else {})}
                page = http.get("/api/sync/pull", params=params, headers=auth)
                page.raise_for_status()
                body = page.json()
                cursor = body["cursor"]
                if not body["has_more"]:
                    break
            path = f"/api/sync/pull?client_id={client_id}&cursor={cursor}"
            idle = http.get(path, headers=auth).json()  # really idle: nothing new, same cursor
            assert idle["changes"] == [] and idle["cursor"] == cursor and not idle["has_more"], idle
            targets.append((path, token))
    return targets


def write_targets(path: Path, targets: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{p}\t{t}\n" for p, t in targets))
    return path


def run_wrk(url: str, targets_file: Path, connections: int, seconds: int, threads: int = 1) -> dict[str, Any]:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(BENCH / "idle.lua"), url]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 60, env={**os.environ, "IDLE_TARGETS": str(targets_file)}
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    return {
        "rps": rps,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
        "p50": latency.get("50"),
        "p99": latency.get("99"),
    }


def run_httpx(url: str, targets_file: Path, connections: int, seconds: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.loadgen",
        url,
        str(targets_file),
        "--connections",
        str(connections),
        "--seconds",
        str(seconds),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, cwd=ROOT, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return {"rps": result["rps"], "non2xx": result["bad"], "socket_errors": result["errors"], "p50": None, "p99": None}


class BareServer:
    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> BareServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bare_app", "--port", str(self.port)],
            cwd=ROOT,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/bare", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("bare app did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def main(
    clients: int = 200, seconds: int = 10, rounds: int = 2, loadgen: str = "auto", profile: bool = False
) -> dict[str, Any]:
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "httpx"
    load = run_wrk if loadgen == "wrk" else run_httpx
    report = Report("idle", f"{clients} concurrent clients, idle pull (nothing new), load generator {loadgen}")
    with workdir() as base:
        template = demo_template(base)
        data = base / "server"
        shutil.copytree(template, data)
        server = start_server(data)
        bare = BareServer(base / "bare.log").start()
        try:
            targets = login_clients(server.url, clients)
            ours_file = write_targets(base / "ours.txt", targets)
            bare_file = write_targets(base / "bare.txt", [("/bare", "")] * clients)
            load(bare.url, bare_file, clients, 2)  # warm-ups
            load(server.url, ours_file, clients, 2)
            runs: dict[str, list[dict[str, Any]]] = {"bare": [], "ours": []}
            for r in range(rounds):
                runs["bare"].append(load(bare.url, bare_file, clients, seconds))
                last = r == rounds - 1
                with ServerProfile(server.proc.pid if server.proc else None, "idle-ours", profile and last):
                    runs["ours"].append(load(server.url, ours_file, clients, seconds))
            if profile:
                with ServerProfile(bare.proc.pid if bare.proc else None, "idle-bare", True):
                    load(bare.url, bare_file, clients, seconds)
        finally:
            bare.stop()
            server.stop()
    for side in ("bare", "ours"):
        bad = sum(x["non2xx"] for x in runs[side])
        assert bad == 0, f"{side}: {bad} non-2xx answers"
    ours = sum(x["rps"] for x in runs["ours"]) / rounds
    baseline = sum(x["rps"] for x in runs["bare"]) / rounds
    report.figure(f"idle pull, {clients} clients ({loadgen})", ours, baseline, "req/s", goal_ratio=0.5, primary=True)
    report.note("rounds (ours)", runs["ours"])
    report.note("rounds (bare)", runs["bare"])
    return report.save()


if __name__ == "__main__":
    from bench.common import write_results

    write_results("idle", main(profile="--profile" in sys.argv, loadgen="httpx" if "--httpx" in sys.argv else "auto"))
