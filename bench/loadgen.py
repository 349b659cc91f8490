"""A small asyncio + httpx load generator, for machines without ``wrk`` (``bench/run.py idle --loadgen httpx``).

Run as its own process so it never shares a GIL with the server:

    python -m bench.loadgen URL_BASE TARGETS_FILE --connections 200 --seconds 10

``TARGETS_FILE`` holds lines ``<path>\\t<token>``; connection k sends target k, k+C, … in turn. Prints one
JSON line: completed requests, non-2xx answers, errors, seconds, requests/s. Bounded by ``--seconds``.
It is far more CPU-hungry than wrk: on 2 cores it can be the bottleneck, which the README notes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx


async def run(base: str, targets: list[tuple[str, str]], connections: int, seconds: float) -> dict[str, float]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    counts = {"ok": 0, "bad": 0, "errors": 0}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker(k: int) -> None:
            j = k
            while time.perf_counter() < deadline:
                path, token = targets[j % len(targets)]
                j += connections
                headers = {"X-Lumbung-Protocol": "1"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                try:
                    response = await client.get(path, headers=headers)
                except httpx.HTTPError:
                    counts["errors"] += 1
                    continue
                counts["ok" if response.status_code < 300 else "bad"] += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(connections)))
        elapsed = time.perf_counter() - start
    return {**counts, "seconds": elapsed, "rps": counts["ok"] / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("targets")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with open(args.targets) as f:
        targets = [tuple((line.rstrip("\n") + "\t").split("\t")[:2]) for line in f if line.strip()]
    print(json.dumps(asyncio.run(run(args.base, targets, args.connections, min(args.seconds, 120.0)))))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
