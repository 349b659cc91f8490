"""The reference for benchmark 3: a bare Litestar JSON endpoint served exactly as our server is.

Same process model as ``lumbung-server serve`` (``server/cli.py``): ``uvicorn.run(app, host, port,
log_level="info")``, one worker, whatever HTTP implementation and event loop uvicorn picks in this venv.
It answers ``GET /bare`` with a small dict; nothing else (no middleware, no database).

    python -m bench.bare_app --port 8123
"""

from __future__ import annotations

import argparse

from litestar import Litestar, get


@get("/bare")
async def bare() -> dict[str, object]:
    return {"status": "ok", "position": 0, "has_more": False}


app = Litestar(route_handlers=[bare], debug=False)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
