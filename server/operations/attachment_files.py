"""The attachment files on disk: where each one lives, putting an upload in place, removing orphans.

A file lives at ``<attachments_dir>/<first two hex digits>/<sha256>``; uploads arrive in
``.incoming/`` and files on their way out wait in ``.trash/<run>/``.

Proofs are uploaded before the mutation that names them is pushed, so an upload whose push never
comes is left behind. ``clean_orphans`` removes a file that no row names (``storage.attachments``
``REFERENCING_COLUMNS``) and whose latest upload is older than ``attachment_orphan_days``, with its
records. It must never leave a row naming a missing file, and uploads and pushes race with it (the
server keeps serving; the command runs in a process of its own). So every decision that couples
"there is a record" with "the file is there" runs inside a write transaction, and SQLite's write lock
orders them across processes:

- the clean-up deletes the records and moves the files into its trash folder in one transaction
  (a rename, undone if the transaction fails) and unlinks them only after it committed;
- an upload records itself and moves its file into place in one transaction (``place_upload``), so
  after a clean-up that took the record it puts the file back instead of trusting the one it saw;
- a push names a file only if its record exists in the push's transaction; after a clean-up that is
  ``retry attachment_missing`` and the device uploads again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

from msgspec import Struct

from server.settings import Settings
from server.storage import attachments as store
from server.storage.attachments import Orphan
from server.storage.database import Connection, Database

__all__ = ["CleanupReport", "stored_path", "place_upload", "settle_trash", "clean_orphans"]

log = logging.getLogger(__name__)
_SHA256 = re.compile(r"[0-9a-f]{64}")
BATCH = 500
"""Files removed per write transaction: each holds the writer only for some renames."""


class CleanupReport(Struct, frozen=True):
    """What a clean-up removed (or, in a dry run, would remove)."""

    dry_run: bool
    grace_days: int
    uploaded_before: str
    """Orphans whose latest upload is before this time (UTC, ISO) are removed."""
    files: int
    bytes: int
    removed: list[Orphan]
    """The orphans: stored files with records that no row names."""
    unrecorded: list[Orphan]
    """Store files without any record (an upload that failed between its file and its record), older
    than the grace by their modification time; their ``last_upload`` is empty."""


def stored_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def place_upload(part: Path, target: Path) -> None:
    """Move a verified upload into place, or drop it if the same content is there already.

    Call it inside the write transaction that records the upload: a clean-up that removed the file's
    record before has moved the file out in its own transaction, so the file is put back here.
    """
    if target.exists():
        part.unlink(missing_ok=True)
        return
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.replace(part, target)
    _sync_folder(target.parent)  # the move itself is durable before the record that names it commits


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


STALE_PART_SECONDS = 24 * 3600
"""An upload's temporary file older than this belongs to no upload in progress (a request is bounded
in minutes): a crash between receiving and placing it left it behind."""


def _drop_stale_parts(root: Path, now: float) -> int:
    """Remove ``.incoming/*.part`` files left by crashed uploads; returns how many."""
    dropped = 0
    with contextlib.suppress(FileNotFoundError):
        for part in (root / ".incoming").glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if part.stat().st_mtime < now - STALE_PART_SECONDS:
                    part.unlink()
                    dropped += 1
    return dropped


def _old_unrecorded(root: Path, before: float) -> dict[str, int]:
    """Store files (by hash) last modified before ``before`` (epoch seconds), with their sizes; the
    caller keeps those without a record."""
    found: dict[str, int] = {}
    if not root.is_dir():
        return found
    for folder in root.iterdir():
        if len(folder.name) != 2 or not folder.is_dir():
            continue
        for path in folder.iterdir():
            info = _old_file(path, folder.name, before)
            if info is not None:
                found[path.name] = info
    return found


def _old_file(path: Path, folder: str, before: float) -> int | None:
    """The size of a store file modified before ``before``; None if it is not one (or not old)."""
    if not _SHA256.fullmatch(path.name) or path.name[:2] != folder:
        return None
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_size if info.st_mtime < before else None


def _restore(root: Path, trash: Path, names: list[str]) -> None:
    """Put trashed files back (their records stay): the undo of a removal that did not commit."""
    for name in names:
        target = stored_path(root, name)
        if target.exists():  # an upload put the same bytes back meanwhile
            (trash / name).unlink(missing_ok=True)
        else:
            os.replace(trash / name, target)


def _settle(conn: Connection, root: Path, trash_root: Path) -> None:
    """What an interrupted clean-up left in the trash: a file whose record still exists goes back (its
    removal did not commit), the others are unlinked (it did). A write task: decided under the lock."""
    with contextlib.suppress(FileNotFoundError):  # another run emptied it first
        for trash in [p for p in trash_root.iterdir() if p.is_dir()]:
            names = [p.name for p in trash.iterdir()]
            keep = store.recorded(conn, names)
            _restore(root, trash, sorted(keep))
            _empty(trash, set(names) - keep)


def settle_trash(db: Database, root: Path) -> bool:
    """Settle what a clean-up killed mid-run left in ``<root>/.trash`` (True if there was a trash).

    A run killed after moving files out but before its commit (kill -9, power loss) leaves their
    records in place and the files in the trash: deposits may name them, but the store lacks them (a
    download is 404, a backup would not copy them). So this runs wherever the store must be whole,
    not only at the next clean-up: at server start, before every backup, and when a download finds a
    recorded file missing. A write task, so it is ordered with any clean-up in progress."""
    trash_root = root / ".trash"
    if not trash_root.is_dir():
        return False
    db.write_sync(lambda c: _settle(c, root, trash_root))
    return True


def _empty(trash: Path, names: set[str] | None = None) -> None:
    """Unlink these trashed files (all if None) and the folder once empty. Another run may be emptying
    the same folder (a committed removal is settled by any later run), so what is gone is fine."""
    with contextlib.suppress(FileNotFoundError):
        for path in list(trash.iterdir()):
            if names is None or path.name in names:
                path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty (files kept) or removed already
        trash.rmdir()


def _remove(db: Database, root: Path, trash_root: Path, select: Callable[[Connection], list[Orphan]]) -> list[Orphan]:
    """One transaction: ``select`` what goes, delete its records, move its files to a trash folder of
    this transaction; after the commit unlink them. If anything fails the files go back."""
    trash = trash_root / uuid.uuid4().hex

    def task(conn: Connection) -> list[Orphan]:
        chosen = select(conn)
        if not chosen:
            return chosen
        store.forget(conn, [o.sha256 for o in chosen])
        trash.mkdir(mode=0o700, parents=True, exist_ok=True)
        moved: list[str] = []
        try:
            for orphan in chosen:
                try:
                    os.replace(stored_path(root, orphan.sha256), trash / orphan.sha256)
                except FileNotFoundError:  # a record without its file: forgetting the record is right
                    continue
                moved.append(orphan.sha256)
        except BaseException:
            _restore(root, trash, moved)  # the writer rolls the records back
            raise
        return chosen

    try:
        chosen = db.write_sync(task)
    except BaseException:
        if trash.is_dir():  # e.g. the commit failed after the task ran: the records are back, so are the files
            try:
                db.write_sync(lambda c: _settle(c, root, trash_root))
            except Exception:  # best effort: the next run settles the trash from the database's truth
                log.exception("attachment clean-up: the trash could not be settled now")
        raise
    _empty(trash)  # committed: the records are gone, the files may go
    return chosen


def _report(dry_run: bool, days: int, before: str, removed: list[Orphan], unrecorded: list[Orphan]) -> CleanupReport:
    every = removed + unrecorded
    return CleanupReport(dry_run, days, before, len(every), sum(o.size for o in every), removed, unrecorded)


def clean_orphans(
    db: Database, settings: Settings, *, dry_run: bool = False, now: dt.datetime | None = None
) -> CleanupReport:
    """Remove orphan attachments and old files without a record (module docstring); a dry run only
    lists them. Runs on a worker thread or the command line (it waits on the writer). Safe to run
    again after a crash: what an interrupted run left in the trash is settled first."""
    moment = now or dt.datetime.now(dt.UTC)
    days = settings.attachment_orphan_days
    cutoff = moment - dt.timedelta(days=days)
    before, stamp = cutoff.astimezone(dt.UTC).isoformat(), cutoff.timestamp()
    root = settings.attachments_dir
    trash_root = root / ".trash"
    candidates = _old_unrecorded(root, stamp)
    if dry_run:
        orphans = db.read_sync(lambda c: store.orphans(c, before, -1))
        known = db.read_sync(lambda c: store.recorded(c, candidates))
        return _report(True, days, before, orphans, [Orphan(n, s, "") for n, s in candidates.items() if n not in known])
    settle_trash(db, root)
    if _drop_stale_parts(root, moment.timestamp()):
        log.info("attachment clean-up: removed uploads' temporary files left by a crash")
    removed: list[Orphan] = []
    while True:
        batch = _remove(db, root, trash_root, lambda c: store.orphans(c, before, BATCH))
        removed += batch
        if len(batch) < BATCH:
            break
    names = sorted(candidates)
    unrecorded: list[Orphan] = []
    for start in range(0, len(names), BATCH):
        chunk = names[start : start + BATCH]

        def unknown(conn: Connection, chunk: list[str] = chunk) -> list[Orphan]:
            known = store.recorded(conn, chunk)  # checked again under the lock, with the file's age
            still = ((n, _old_file(stored_path(root, n), n[:2], stamp)) for n in chunk if n not in known)
            return [Orphan(n, size, "") for n, size in still if size is not None]

        unrecorded += _remove(db, root, trash_root, unknown)
    with contextlib.suppress(OSError):
        trash_root.rmdir()  # only if empty
    report = _report(False, days, before, removed, unrecorded)
    if report.files:
        log.info(
            "attachment clean-up: %s files, %s bytes removed (uploaded before %s)", report.files, report.bytes, before
        )
    return report
