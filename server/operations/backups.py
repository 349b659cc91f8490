"""Daily automatic backups: take a consistent copy, verify it, keep N days, report the last good one.

A backup is SQLite's online backup of the live database (writers keep going) into
``<backups_dir>/lumbung-YYYYMMDDTHHMMSSZ.sqlite3``, plus the attachments not yet copied (they are
content-addressed and never change, so copying is incremental). It counts as good only once the
copy has been opened on its own and passed the same ledger check as ``verify-ledger``. Only after
a good backup are those older than ``backup_keep_days`` removed, so a failing day never eats the
last good copy. Every attempt is logged in ``backups`` (through the writer) for the health view and
``/metrics``. The schedule is a time of day in the cooperative's time zone (the ``coop_settings``
setting, read from the database each time the next run is computed, so a change applies from the
next run on; WIB until the admin sets another).

The same daily run then removes orphan attachments (``attachment_files.clean_orphans``): after a good
backup, so a file removed today is still in the backup folder's copy; with backups off, on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import re
import shutil
import threading
from pathlib import Path

import anyio.to_thread

from server.domain.models import COOP_TZ
from server.domain.timezone import label, zone
from server.settings import Settings
from server.storage import admin, backup_log
from server.storage.backup import backup as copy_database
from server.storage.backup_log import BackupCheck, BackupRow
from server.storage.database import Database

from .attachment_files import CleanupReport, clean_orphans, settle_trash

__all__ = ["BackupService", "next_run", "next_run_text", "backup_name", "backup_time_of", "prune", "take_backup"]

log = logging.getLogger(__name__)
NAME = re.compile(r"^lumbung-(\d{8}T\d{6}Z)\.sqlite3$")


def backup_name(moment: dt.datetime) -> str:
    return f"lumbung-{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.sqlite3"


def backup_time_of(name: str) -> dt.datetime | None:
    """When a backup file was taken, read from its name (None: not one of ours)."""
    match = NAME.match(name)
    if match is None:
        return None
    return dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def next_run(now: dt.datetime, at: str, tz: dt.tzinfo = COOP_TZ) -> dt.datetime:
    """The next moment after ``now`` whose wall clock in ``tz`` reads ``at`` (HH:MM)."""
    hour, minute = (int(p) for p in at.split(":"))
    local = now.astimezone(tz)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (candidate + dt.timedelta(days=1)).replace(hour=hour, minute=minute)
    return candidate


def next_run_text(moment: dt.datetime, zone_name: str) -> str:
    """``2026-12-03 02:00 WIT``: a run time as people read it, on the zone's wall clock with its label."""
    return f"{moment.astimezone(zone(zone_name)):%Y-%m-%d %H:%M} {label(zone_name)}"


def _copy_attachments(source: Path, target: Path) -> int:
    """Copy attachment files the backup folder lacks; returns how many were copied.

    Skips the store's working folders (``.incoming``, ``.trash``) and a file the orphan clean-up
    removed while the copy ran (a clean-up run from the command line does not take the backup lock).
    """
    copied = 0
    if not source.is_dir():
        return 0
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if relative.parts[0].startswith(".") or not path.is_file():
            continue
        dest = target / relative
        if not dest.exists():
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                shutil.copy2(path, dest.with_suffix(".part"))
            except FileNotFoundError:
                continue
            dest.with_suffix(".part").replace(dest)
            copied += 1
    return copied


def prune(db: Database, folder: Path, keep_days: int, now: dt.datetime) -> list[str]:
    """Remove backup files taken more than ``keep_days`` ago (by the time in their name); returns them."""
    cutoff = now - dt.timedelta(days=keep_days)
    removed = []
    for path in sorted(folder.glob("lumbung-*.sqlite3")):
        taken = backup_time_of(path.name)
        if taken is not None and taken < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    logged = db.read_sync(lambda c: backup_log.unremoved_before(c, cutoff.isoformat()))
    gone = sorted(set(removed) | {f for f in logged if not (folder / f).exists()})
    if gone:
        db.write_sync(lambda c: backup_log.mark_removed(c, gone, now.isoformat()))
    return removed


def take_backup(db: Database, settings: Settings, trigger: str = "manual", now: dt.datetime | None = None) -> BackupRow:
    """Copy, verify, log; on success prune old ones. Runs on a worker thread or the command line."""
    started = now or dt.datetime.now(dt.UTC)
    folder = settings.backups_dir
    name = backup_name(started)
    target = folder / name
    part = folder / (name + ".part")
    try:
        settle_trash(db, settings.attachments_dir)  # proofs an interrupted clean-up left out go back first
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        copy_database(settings.database_path, part)
        os.chmod(part, 0o600)
        part.replace(target)
        check = backup_log.verify_file(target)
        if check.ok:
            _copy_attachments(settings.attachments_dir, folder / "attachments")
    except Exception as exc:  # noqa: BLE001 - disk full, unreadable source …: a failed backup, logged and shown
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        check = BackupCheck(False, None, f"copy failed: {exc}"[:500])
    finished = dt.datetime.now(dt.UTC)
    size = target.stat().st_size if target.is_file() else 0
    row = db.write_sync(
        lambda c: backup_log.record_backup(
            c,
            file=name,
            trigger=trigger,
            started_at=started.isoformat(),
            finished_at=finished.isoformat(),
            size_bytes=size,
            check=check,
        )
    )
    if check.ok:
        prune(db, folder, settings.backup_keep_days, started)
        log.info("backup %s verified (%s ledger entries, %s bytes)", name, check.ledger_entries, size)
    else:
        log.error("backup %s FAILED verification: %s", name, check.detail)
    return row


class BackupService:
    """The daily schedule inside the server (the backup, then the orphan attachment clean-up), and
    on-demand backups (one at a time)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None
        self.next_at: dt.datetime | None = None
        self.next_zone: str | None = None
        """The label (WIB/WITA/WIT) of the zone ``next_at`` was computed in."""

    async def run_now(self, trigger: str = "manual") -> BackupRow:
        return await anyio.to_thread.run_sync(self._take, trigger)

    def _take(self, trigger: str) -> BackupRow:
        with self._lock:  # a daily and a manual backup never copy at the same time
            return take_backup(self.db, self.settings, trigger)

    async def last_good(self) -> BackupRow | None:
        return await self.db.read(backup_log.last_good)

    async def recent(self, limit: int = 50) -> list[BackupRow]:
        return await self.db.read(lambda c: backup_log.recent_backups(c, limit))

    async def clean_attachments(self) -> CleanupReport:
        """The orphan attachment clean-up, under the backup lock (a backup copies the same folder)."""

        def clean() -> CleanupReport:
            with self._lock:
                return clean_orphans(self.db, self.settings)

        return await anyio.to_thread.run_sync(clean)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._daily(), name="daily-backup")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def settle_attachments(self) -> None:
        """Put back the proofs a clean-up killed before its commit left in the trash (at server start)."""

        def settle() -> None:
            with self._lock:
                settle_trash(self.db, self.settings.attachments_dir)

        try:
            await anyio.to_thread.run_sync(settle)
        except Exception:
            log.exception("attachment trash could not be settled at start")

    async def _daily(self) -> None:
        await self.settle_attachments()
        while True:
            now = dt.datetime.now(dt.UTC)
            name = await self.db.read(admin.time_zone)  # re-read: the admin may have moved the cooperative
            at = next_run(now, self.settings.backup_time, zone(name))
            if self.settings.backup_enabled:  # the health view shows it; with backups off only the clean-up runs
                self.next_at, self.next_zone = at, label(name)
            await asyncio.sleep(max(0.0, (at - now).total_seconds()))
            backed_up = not self.settings.backup_enabled
            if self.settings.backup_enabled:
                try:
                    backed_up = (await self.run_now("daily")).ok
                except Exception:
                    log.exception("daily backup failed")
            if not backed_up:
                log.warning("attachment clean-up skipped: today's backup did not verify")
                continue
            try:
                await self.clean_attachments()
            except Exception:
                log.exception("attachment clean-up failed")
