"""A lean push load generator, run as its own process: many devices' pushes at once, little client CPU.

    python -m bench.crowd PORT JOBS_FILE

``JOBS_FILE`` is JSON: a list of streams, each ``{"token": ..., "bodies": [<encoded PushRequest>, ...]}``.
Every stream opens its own connection and sends its bodies one after the other (keep-alive), as one
device does. The process reads one line from stdin ("go") so the caller can start its own clocks
first, then starts every stream at once and prints one JSON line: seconds from go to the last answer,
its own CPU seconds, 503 answers retried, answers whose results were not all ``applied``.

Why not httpx threads in the benchmark's process: 200 of them cost that process 1-2 CPU seconds for
200 requests, on the same two cores as the server, so the crowd figure measured the load generator.
Here a request is a few hand-built bytes on an asyncio stream (about 0.1 ms of client CPU), and a
device's phone brings its own CPU. Plain HTTP/1.1 to 127.0.0.1 only; bounded by a deadline.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from typing import Any

import msgspec

DEADLINE_S = 120.0
PATH = "/api/sync/push"


def _request(port: int, token: str, body: bytes) -> bytes:
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Lumbung-Protocol: 1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response: (status, body); Content-Length or chunked."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        return status, b"".join(parts)
    raise RuntimeError(f"answer without a length: {lines[0]}")


async def _stream(port: int, token: str, bodies: list[str], counts: dict[str, int]) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for body in bodies:
            request = _request(port, token, body.encode())
            for _ in range(200):
                writer.write(request)
                status, answer = await _answer(reader)
                if status != 503:
                    break
                counts["busy"] += 1
                await asyncio.sleep(random.uniform(0.01, 0.1))
            if status != 200:
                raise RuntimeError(f"push answered {status}: {answer[:200]!r}")
            results = msgspec.json.decode(answer)["results"]
            counts["applied"] += sum(r["status"] == "applied" for r in results)
            counts["not_applied"] += sum(r["status"] != "applied" for r in results)
        return time.perf_counter()
    finally:
        writer.close()


async def run(port: int, streams: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {"busy": 0, "applied": 0, "not_applied": 0}
    sys.stdin.readline()  # "go": the caller's clocks run from here
    cpu, start = time.process_time(), time.perf_counter()
    ends = await asyncio.wait_for(
        asyncio.gather(*(_stream(port, s["token"], s["bodies"], counts) for s in streams)), DEADLINE_S
    )
    return {"seconds": max(ends) - start, "client_cpu": time.process_time() - cpu, **counts}


def main() -> None:
    port, jobs = int(sys.argv[1]), sys.argv[2]
    with open(jobs, encoding="utf-8") as f:
        streams = json.load(f)
    print(json.dumps(asyncio.run(run(port, streams))), flush=True)


if __name__ == "__main__":
    main()
