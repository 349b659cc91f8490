"""A device process for the kill -9 test: syncs in a tight loop, in small batches and pages, until killed."""

from __future__ import annotations

import sys

from client_sync import SyncClient


def main(db_path: str, url: str) -> None:
    client = SyncClient(db_path, url, batch_size=2, page_limit=7)
    print("siap", flush=True)
    while True:
        client.sync_once()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
