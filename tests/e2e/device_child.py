"""A device process that syncs in a tight loop with small batches and pages, until it is killed."""

from __future__ import annotations

import sys

from client_sync import SyncClient


def main(db_path: str) -> None:
    client = SyncClient(db_path, batch_size=3, page_limit=11)
    print("siap", flush=True)
    while True:
        client.sync_once()


if __name__ == "__main__":
    main(sys.argv[1])
