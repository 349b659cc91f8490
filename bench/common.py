"""Shared pieces of the benchmarks: servers as separate processes, timing, profiles, the JSON summary.

Every load here talks to 127.0.0.1 only, is bounded in count and time, and stops by itself. The
server always runs in its own process (``python -m server.cli ... serve``, via ``ProcessServer``), so
the benchmark's client and the server never share a GIL.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.servers import ProcessServer, make_demo_template  # noqa: E402

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
DEMO_PASSWORD = "rahasia123"

# A real deployment's settings (server/settings.py defaults). ProcessServer sets the test suite's cheap
# argon2 cost; put the defaults back so nothing in the server runs cheaper than in production. (The demo
# template's password hashes were made at the test cost; argon2 verifies with the parameters stored in
# the hash, so only login is affected, and login is reported on its own line where it is timed.)
DEPLOYMENT_ENV = {
    "LUMBUNG_ARGON2_MEMORY_KIB": "65536",
    "LUMBUNG_ARGON2_TIME_COST": "3",
    "LUMBUNG_SQLITE_SYNCHRONOUS": "FULL",
}


# --- output -------------------------------------------------------------------------------------


class Report:
    """Collects figures of one benchmark and prints each next to its baseline as a ratio."""

    def __init__(self, name: str, description: str) -> None:
        self.name = name
        self.data: dict[str, Any] = {"benchmark": name, "description": description, "figures": [], "notes": {}}
        print(f"\n=== {name}: {description}")
        self.data["load_average_at_start"] = round(busy_warning(), 2)

    def figure(
        self,
        label: str,
        ours: float,
        baseline: float | None,
        unit: str,
        *,
        goal_ratio: float | None = None,
        primary: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        ratio = ours / baseline if baseline else None
        met = None if goal_ratio is None or ratio is None else ratio >= goal_ratio
        entry = {
            "label": label,
            "ours": round(ours, 2),
            "baseline": None if baseline is None else round(baseline, 2),
            "unit": unit,
            "ratio": None if ratio is None else round(ratio, 4),
            "goal_ratio": goal_ratio,
            "goal_met": met,
            "primary": primary,
            **(extra or {}),
        }
        self.data["figures"].append(entry)
        text = f"  {label:<46} {ours:>12,.0f} {unit}"
        if baseline is not None:
            text += f"   baseline {baseline:>12,.0f} {unit}   ratio {ratio:6.3f}"
        if goal_ratio is not None:
            text += f"   goal >= {goal_ratio:g}: {'MET' if met else 'NOT MET'}"
        print(text)

    def note(self, key: str, value: Any) -> None:
        self.data["notes"][key] = value
        if isinstance(value, float):
            value = f"{value:,.3f}"
        print(f"  - {key}: {value}")

    def save(self) -> dict[str, Any]:
        return self.data


def busy_warning() -> float:
    """The 1-minute load average; warns when other work shares the CPUs (figures then run low and noisy)."""
    load = os.getloadavg()[0]
    if load > 0.5:
        print(
            f"  ! load average {load:.2f} before this benchmark: other processes share the CPUs; figures will"
            " be lower and noisier than on an idle machine"
        )
    return load


def machine_info() -> dict[str, Any]:
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{name}-{stamp}.json"
    body = {"machine": machine_info(), **payload}
    path.write_text(json.dumps(body, indent=2))
    (RESULTS / f"{name}-latest.json").write_text(json.dumps(body, indent=2))
    print(f"\nsummary written to {path.relative_to(ROOT)}")
    return path


# --- timing -------------------------------------------------------------------------------------


class Timers:
    """Wall time spent inside wrapped callables, by name."""

    def __init__(self) -> None:
        self.total: dict[str, float] = collections.defaultdict(float)
        self.calls: dict[str, int] = collections.defaultdict(int)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.total[name] += time.perf_counter() - start
                self.calls[name] += 1

        return timed

    def as_dict(self) -> dict[str, Any]:
        return {k: {"seconds": round(v, 4), "calls": self.calls[k]} for k, v in sorted(self.total.items())}


# --- servers ------------------------------------------------------------------------------------


@contextlib.contextmanager
def workdir(keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lumbung-bench-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def officer_deposit(i: int, code: str, now: dt.datetime, members: list[int], **extra: Any) -> Any:
    """The ``i``-th offline cash deposit petugas1 (user 101) records at location 1, members in turn: the
    row the push and pull benchmarks write."""
    from server.domain.models import Deposit

    return Deposit(
        id=str(uuid.uuid4()),
        code=code,
        member_id=members[i % len(members)],
        savings_type="sukarela",
        kind="offline",
        amount=10_000 + i,
        location_id=1,
        status="unverified",
        created_by=101,
        created_at=now,
        note=f"setoran {i}",
        **extra,
    )


def demo_template(base: Path) -> Path:
    return make_demo_template(base / "template")


def start_server(data_dir: Path, **env: str) -> ProcessServer:
    """The server as its own process; one retry if start-up fails (reported, with the log's last line)."""
    try:
        return ProcessServer(data_dir, **{**DEPLOYMENT_ENV, **env}).start()
    except RuntimeError as exc:
        last = str(exc).strip().splitlines()[-1:] or [""]
        print(f"  ! server failed to start, retrying once: {last[0][:200]}")
        return ProcessServer(data_dir, **{**DEPLOYMENT_ENV, **env}).start()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def checkpoint(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- profiles -----------------------------------------------------------------------------------


class ServerProfile:
    """``py-spy record`` against a server process for the timed phase (only with ``--profile``).

    Writes a speedscope file and a raw (collapsed stacks) file, and prints the functions with the most
    samples, inclusive and by their own frames, so the figures come with what limits them.
    """

    def __init__(self, pid: int | None, name: str, enabled: bool, rate: int = 250) -> None:
        self.pid, self.name, self.enabled, self.rate = pid, name, enabled and pid is not None, rate
        self.proc: subprocess.Popen[bytes] | None = None
        self.raw = RESULTS / f"{name}-server.collapsed.txt"
        self.summary: dict[str, Any] = {}

    def __enter__(self) -> ServerProfile:
        if not self.enabled:
            return self
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(spy).exists():
            print("  (py-spy not found: pip install py-spy into the venv to profile)")
            self.enabled = False
            return self
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                spy,
                "record",
                "-p",
                str(self.pid),
                "-r",
                str(self.rate),
                "-f",
                "raw",
                "-o",
                str(self.raw),
                "--nonblocking",
                # only the thread holding the GIL: idle threads do not dilute the profile (SQLite and fsync,
                # which release the GIL, are not sampled: compare with the CPU seconds the bench prints)
                "--gil",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)  # let it attach
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.enabled or self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.raw.exists():
            self.summary = summarize_collapsed(self.raw)
            print_profile(self.summary, f"server profile ({self.raw.relative_to(ROOT)})")


def summarize_collapsed(path: Path, top: int = 18) -> dict[str, Any]:
    """Top functions by inclusive and self samples from py-spy's collapsed-stack output."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        threads[frames[0].split(" ")[0] if frames else "?"] += count
        names = [_short(f) for f in frames[1:]] or ["?"]
        for name in set(names):
            inclusive[name] += count
        own[names[-1]] += count
    pct = lambda c: round(100.0 * c / total, 1) if total else 0.0  # noqa: E731
    return {
        "samples": total,
        "threads": {k: pct(v) for k, v in threads.most_common(6)},
        "inclusive": [(k, pct(v)) for k, v in inclusive.most_common(top)],
        "self": [(k, pct(v)) for k, v in own.most_common(top)],
    }


def _short(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    file, _, _line = where.rpartition(":")
    for marker in ("site-packages/", "/main/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{name} ({file})"


def print_profile(summary: dict[str, Any], title: str) -> None:
    print(f"\n  {title}: {summary.get('samples', 0)} samples; threads {summary.get('threads')}")
    print("    inclusive %:")
    for name, p in summary.get("inclusive", [])[:14]:
        print(f"      {p:5.1f}  {name}")
    print("    self %:")
    for name, p in summary.get("self", [])[:14]:
        print(f"      {p:5.1f}  {name}")


@contextlib.contextmanager
def client_profile(name: str, enabled: bool) -> Iterator[dict[str, Any]]:
    """pyinstrument around the benchmark process's own (client) work, with ``--profile``."""
    out: dict[str, Any] = {}
    if not enabled:
        yield out
        return
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("  (pyinstrument not found: pip install pyinstrument into the venv to profile the client)")
        yield out
        return
    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        yield out
    finally:
        profiler.stop()
        RESULTS.mkdir(parents=True, exist_ok=True)
        text = profiler.output_text(unicode=False, color=False, show_all=False)
        path = RESULTS / f"{name}-client.pyinstrument.txt"
        path.write_text(text)
        out["path"] = str(path.relative_to(ROOT))
        print(f"\n  client profile written to {out['path']}")
