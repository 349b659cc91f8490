"""Orphan attachments are cleaned up (``lumbung-server attachments-clean``, and daily in the server):
a proof no row names, last uploaded longer ago than ``attachment_orphan_days``, goes with its records;
a named proof never does; a device whose proof went uploads it again and its push then applies.

Real servers on 127.0.0.1 and real SQLite files; the command runs beside the server with its own
write connection, as it does in production.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from server.cli import main
from server.operations.backups import take_backup
from server.storage import attachments as store
from server.storage.database import Database
from tests.protocol.protocol_helpers import cancel, counter, mandiri_deposit, png_bytes, query, sha256, snapshot
from tests.support.api import ApiSession, login
from tests.support.servers import ThreadServer, copy_template

LONG_AGO = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3650)).isoformat()
GRACE_AGO = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)


def _put(session: ApiSession, data: bytes) -> int:
    response = session.http.put(f"/api/attachments/{sha256(data)}", content=data, headers={"content-type": "image/png"})
    assert response.status_code in (200, 201), response.text
    return response.status_code


def _age(path: Path, digest: str, when: str) -> None:
    """Pretend every upload of this file happened at ``when``."""
    with sqlite3.connect(path, timeout=30) as conn:
        conn.execute(
            "UPDATE attachments SET uploaded_at = ?, last_uploaded_at = ? WHERE sha256 = ?", (when, when, digest)
        )
        conn.execute("UPDATE attachment_uploads SET uploaded_at = ? WHERE sha256 = ?", (when, digest))
    conn.close()


def _file(server: ThreadServer, digest: str) -> Path:
    return server.settings.attachments_dir / digest[:2] / digest


def _records(server: ThreadServer, digest: str) -> tuple[int, int]:
    files = query(server.db_path, "SELECT COUNT(*) FROM attachments WHERE sha256 = ?", digest)[0][0]
    uploads = query(server.db_path, "SELECT COUNT(*) FROM attachment_uploads WHERE sha256 = ?", digest)[0][0]
    return files, uploads


def _clean(server: ThreadServer, capsys: pytest.CaptureFixture[str], *flags: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["--data-dir", str(server.data_dir), "attachments-clean", "--json", *flags]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def test_an_orphan_past_the_grace_goes_with_its_records_and_a_young_one_stays(fresh_server, capsys):
    member = login(fresh_server.url, "anggota03")
    old, young = png_bytes("bukti-lama-tak-terpakai"), png_bytes("bukti-baru-tak-terpakai")
    _put(member, old), _put(member, young)
    _age(fresh_server.db_path, sha256(old), GRACE_AGO.isoformat())

    report = _clean(fresh_server, capsys)

    assert [o["sha256"] for o in report["removed"]] == [sha256(old)]
    assert report["files"] == 1 and report["bytes"] == len(old) and report["dry_run"] is False
    assert not _file(fresh_server, sha256(old)).exists() and _records(fresh_server, sha256(old)) == (0, 0)
    assert _file(fresh_server, sha256(young)).read_bytes() == young and _records(fresh_server, sha256(young)) == (1, 1)
    assert not (fresh_server.settings.attachments_dir / ".trash").exists()  # nothing left half-way
    assert member.http.get(f"/api/attachments/{sha256(old)}").status_code == 404


def test_uploading_the_same_file_again_restarts_its_grace(fresh_server, capsys):
    """A device that uploads its proof again (a retry, a second user with the same photo) still means
    to push it: the grace counts from the last upload, while each uploader's own first upload time
    (what the daily quota counts) stays."""
    path = fresh_server.db_path
    first, second = login(fresh_server.url, "anggota03"), login(fresh_server.url, "anggota04")
    again, shared = png_bytes("bukti-diunggah-lagi"), png_bytes("bukti-dua-pengunggah")
    _put(first, again), _put(first, shared)
    for data in (again, shared):
        _age(path, sha256(data), GRACE_AGO.isoformat())
    assert _put(first, again) == 200  # the same user again: already stored
    assert _put(second, shared) == 200  # another user with the same bytes

    assert _clean(fresh_server, capsys)["files"] == 0
    for data in (again, shared):
        assert _file(fresh_server, sha256(data)).read_bytes() == data
    mine = query(path, "SELECT uploaded_at FROM attachment_uploads WHERE sha256 = ? AND user_id = 3", sha256(again))
    assert mine[0][0] == GRACE_AGO.isoformat()  # the quota's view of anggota03's upload is unchanged


def test_a_proof_a_deposit_names_is_kept_however_old_whatever_the_deposit_became(fresh_server, capsys):
    """Every kind of row that names a file (``REFERENCING_COLUMNS``: today deposits, of any status)."""
    assert store.REFERENCING_COLUMNS == (("deposits", "attachment"),)
    member = login(fresh_server.url, "anggota04")
    pending, cancelled = png_bytes("bukti-menunggu"), png_bytes("bukti-dibatalkan")
    _put(member, pending), _put(member, cancelled)
    named = mandiri_deposit(4, 90_000, 1, attachment=sha256(cancelled))
    results = member.push_ops(
        mandiri_deposit(4, 80_000, 1, attachment=sha256(pending)), named, cancel(named.deposit_id)
    )
    assert [r["status"] for r in results] == ["applied"] * 3, results
    for data in (pending, cancelled):
        _age(fresh_server.db_path, sha256(data), LONG_AGO)

    report = _clean(fresh_server, capsys)

    assert report["removed"] == [] and report["files"] == 0
    for data in (pending, cancelled):
        assert _file(fresh_server, sha256(data)).read_bytes() == data and _records(fresh_server, sha256(data)) == (1, 1)
        assert member.http.get(f"/api/attachments/{sha256(data)}").content == data


def test_a_dry_run_lists_the_same_files_and_removes_nothing(fresh_server, capsys):
    member = login(fresh_server.url, "anggota03")
    orphan = png_bytes("bukti-uji-coba")
    _put(member, orphan)
    _age(fresh_server.db_path, sha256(orphan), GRACE_AGO.isoformat())
    before = query(fresh_server.db_path, "SELECT sha256, user_id, uploaded_at FROM attachment_uploads ORDER BY 1")

    dry = _clean(fresh_server, capsys, "--dry-run")

    assert dry["dry_run"] is True and [o["sha256"] for o in dry["removed"]] == [sha256(orphan)]
    assert dry["files"] == 1 and dry["bytes"] == len(orphan)
    assert _file(fresh_server, sha256(orphan)).read_bytes() == orphan
    assert (
        query(fresh_server.db_path, "SELECT sha256, user_id, uploaded_at FROM attachment_uploads ORDER BY 1") == before
    )
    real = _clean(fresh_server, capsys)
    assert {k: v for k, v in real.items() if k not in ("dry_run", "uploaded_before")} == {
        k: v for k, v in dry.items() if k not in ("dry_run", "uploaded_before")
    }


def test_the_json_report_has_stable_keys_and_the_text_says_what_was_removed(fresh_server, capsys):
    member = login(fresh_server.url, "anggota03")
    orphan = png_bytes("bukti-json")
    _put(member, orphan)
    _age(fresh_server.db_path, sha256(orphan), GRACE_AGO.isoformat())

    report = _clean(fresh_server, capsys, "--dry-run")
    assert set(report) == {"dry_run", "grace_days", "uploaded_before", "files", "bytes", "removed", "unrecorded"}
    assert report["grace_days"] == 30 and dt.datetime.fromisoformat(report["uploaded_before"]).tzinfo is not None
    assert report["removed"] == [{"sha256": sha256(orphan), "size": len(orphan), "last_upload": GRACE_AGO.isoformat()}]
    assert report["unrecorded"] == []

    assert main(["--data-dir", str(fresh_server.data_dir), "attachments-clean"]) == 0
    text = capsys.readouterr().out
    assert sha256(orphan) in text and f"1 berkas, {len(orphan)} byte" in text and "dihapus" in text


def test_after_the_clean_up_a_push_naming_the_proof_is_told_to_upload_it_again_then_applies(fresh_server, capsys):
    """An offline device uploaded its proof, then pushed only after the grace: its push is answered
    ``retry attachment_missing`` (no 5xx, nothing changed, the queue not advanced); it uploads the file
    again (201, a new file) and the same mutation then applies."""
    path = fresh_server.db_path
    member = login(fresh_server.url, "anggota04")
    proof = png_bytes("bukti-perangkat-luring")
    digest = sha256(proof)
    assert _put(member, proof) == 201
    _age(path, digest, GRACE_AGO.isoformat())
    assert [o["sha256"] for o in _clean(fresh_server, capsys)["removed"]] == [digest]

    mutation = member.mutation(mandiri_deposit(4, 120_000, 1, attachment=digest))
    before = snapshot(path, member.client_id)
    response = member.push(mutation)
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert (result["status"], result["code"]) == ("retry", "attachment_missing") and result["message"], result
    assert response.json()["last_mutation_id"] == 0 and counter(path, member.client_id) == 0
    assert snapshot(path, member.client_id) == before

    assert _put(member, proof) == 201  # stored anew, with a fresh upload record
    assert _file(fresh_server, digest).read_bytes() == proof and _records(fresh_server, digest) == (1, 1)
    again = member.push(mutation).json()["results"][0]
    assert again["status"] == "applied", again
    assert query(path, "SELECT COUNT(*) FROM deposits WHERE attachment = ?", digest)[0][0] == 1
    assert _clean(fresh_server, capsys)["files"] == 0  # named now: kept


def test_an_upload_racing_with_the_clean_up_keeps_its_file(fresh_server, capsys, monkeypatch):
    """The dangerous order: the upload has received its bytes and found the file already stored, the
    clean-up then removes the (old, unnamed) file and its records, and the upload records itself. Its
    record must not name a missing file: the upload puts the file in place in the transaction that
    records it."""
    path = fresh_server.db_path
    member = login(fresh_server.url, "anggota03")
    proof = png_bytes("bukti-balapan")
    digest = sha256(proof)
    _put(member, proof)
    _age(path, digest, GRACE_AGO.isoformat())

    db = fresh_server.app.state.services.db
    original = db.write
    cleaned: list[dict[str, Any]] = []

    async def write_after_a_clean_up(fn: Any) -> Any:
        if getattr(fn, "__name__", "") == "record" and not cleaned:  # the upload's own record, next
            import anyio.to_thread

            cleaned.append(await anyio.to_thread.run_sync(lambda: _clean(fresh_server, capsys)))
        return await original(fn)

    monkeypatch.setattr(db, "write", write_after_a_clean_up)
    assert _put(member, proof) == 201  # its record had gone: the file is new to the server again
    monkeypatch.undo()

    assert [o["sha256"] for o in cleaned[0]["removed"]] == [digest]
    assert _records(fresh_server, digest) == (1, 1) and _file(fresh_server, digest).read_bytes() == proof
    assert member.push_ops(mandiri_deposit(3, 70_000, 1, attachment=digest))[0]["status"] == "applied"
    assert member.http.get(f"/api/attachments/{digest}").content == proof


def test_a_download_while_the_clean_up_moves_the_file_out_is_not_found_not_a_server_error(fresh_server):
    """Inside the clean-up's transaction the file has left while its record is still visible to readers:
    a download in that moment is answered 404 ``attachment_not_found`` (this module's conftest fails
    any 5xx)."""
    member = login(fresh_server.url, "anggota03")
    proof = png_bytes("bukti-sedang-dihapus")
    _put(member, proof)
    digest = sha256(proof)
    trash = fresh_server.settings.attachments_dir / ".trash" / "running"
    trash.mkdir(parents=True)
    cleanup = sqlite3.connect(fresh_server.db_path, isolation_level=None, timeout=30)
    cleanup.execute("BEGIN IMMEDIATE")  # the clean-up's transaction holds the write lock
    cleanup.execute("DELETE FROM attachment_uploads WHERE sha256 = ?", (digest,))
    cleanup.execute("DELETE FROM attachments WHERE sha256 = ?", (digest,))
    os.replace(_file(fresh_server, digest), trash / digest)
    answers: list[Any] = []
    download = threading.Thread(target=lambda: answers.append(member.http.get(f"/api/attachments/{digest}")))
    download.start()  # reads the record (still visible), misses the file, waits to settle the trash
    time.sleep(0.5)
    cleanup.execute("COMMIT")
    cleanup.close()
    download.join(30)
    response = answers[0]
    assert response.status_code == 404 and response.json()["code"] == "attachment_not_found"
    assert not trash.exists()  # settled: the removal committed, so the file is gone for good
    assert not _file(fresh_server, digest).exists()


def test_pushes_racing_with_the_clean_up_never_leave_a_deposit_naming_a_missing_file(fresh_server, capsys):
    path = fresh_server.db_path
    member = login(fresh_server.url, "anggota04")
    proofs = [png_bytes(f"bukti-serentak-{n}") for n in range(8)]
    for data in proofs:
        _put(member, data)
        _age(path, sha256(data), GRACE_AGO.isoformat())
    answers: list[dict[str, Any]] = []

    def push_each() -> None:
        number = 1
        for data in proofs:  # a retry advances nothing: the next mutation takes its number
            response = member.push(member.mutation(mandiri_deposit(4, 50_000, 1, sha256(data)), number=number))
            answers.append(response.json()["results"][0])
            number += answers[-1]["status"] == "applied"

    pusher = threading.Thread(target=push_each)
    pusher.start()
    report = _clean(fresh_server, capsys)
    pusher.join(60)
    assert len(answers) == len(proofs), answers

    removed = {o["sha256"] for o in report["removed"]}
    named = {r[0] for r in query(path, "SELECT attachment FROM deposits WHERE attachment IS NOT NULL")}
    assert not removed & named
    for data in proofs:
        digest = sha256(data)
        if digest in named:
            assert _file(fresh_server, digest).read_bytes() == data and _records(fresh_server, digest)[0] == 1
        else:
            assert digest in removed and not _file(fresh_server, digest).exists()
    assert all(a["status"] in ("applied", "retry") for a in answers), answers
    assert {a["code"] for a in answers if a["status"] == "retry"} <= {"attachment_missing"}


def test_a_file_without_any_record_is_removed_only_once_it_is_old(fresh_server, capsys):
    """An upload that failed between placing its file and committing its record leaves a file no
    mutation can name (naming needs the record): removed after the grace, by its modification time."""
    root = fresh_server.settings.attachments_dir
    stale, fresh = png_bytes("sisa-lama"), png_bytes("sisa-baru")
    for data in (stale, fresh):
        target = root / sha256(data)[:2] / sha256(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    os.utime(root / sha256(stale)[:2] / sha256(stale), (GRACE_AGO.timestamp(), GRACE_AGO.timestamp()))

    report = _clean(fresh_server, capsys)

    assert [o["sha256"] for o in report["unrecorded"]] == [sha256(stale)] and report["removed"] == []
    assert report["files"] == 1 and report["bytes"] == len(stale)
    assert not (root / sha256(stale)[:2] / sha256(stale)).exists()
    assert (root / sha256(fresh)[:2] / sha256(fresh)).exists()


def test_an_interrupted_clean_up_puts_back_what_did_not_commit(fresh_server, capsys):
    """A crash between moving files to the trash and knowing the outcome: the next run restores a file
    whose record is still there and unlinks one whose record is gone."""
    root, path = fresh_server.settings.attachments_dir, fresh_server.db_path
    member = login(fresh_server.url, "anggota03")
    kept, gone = png_bytes("bukti-masih-tercatat"), png_bytes("bukti-sudah-dilupakan")
    _put(member, kept)
    trash = root / ".trash" / "interrupted"
    trash.mkdir(parents=True)
    os.replace(root / sha256(kept)[:2] / sha256(kept), trash / sha256(kept))
    (trash / sha256(gone)).write_bytes(gone)

    assert _clean(fresh_server, capsys)["files"] == 0
    assert (root / sha256(kept)[:2] / sha256(kept)).read_bytes() == kept and _records(fresh_server, sha256(kept))[0]
    assert not (root / ".trash").exists() and not query(
        path, "SELECT 1 FROM attachments WHERE sha256 = ?", sha256(gone)
    )


def _daily_server(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> ThreadServer:
    """A server whose daily run comes 4 seconds after start (then tomorrow)."""
    from server.operations import backups as module

    calls: list[dt.datetime] = []

    def soon_then_tomorrow(now: dt.datetime, at: str, tz: dt.tzinfo | None = None) -> dt.datetime:
        calls.append(now)
        return now + (dt.timedelta(seconds=4) if len(calls) == 1 else dt.timedelta(days=1))

    monkeypatch.setattr(module, "next_run", soon_then_tomorrow)
    return ThreadServer(copy_template(demo_template, tmp_path / "data"), **settings).start()


def _orphan_before_the_daily_run(server: ThreadServer, seed: str) -> bytes:
    member = login(server.url, "anggota03")
    orphan = png_bytes(seed)
    _put(member, orphan)
    _age(server.db_path, sha256(orphan), GRACE_AGO.isoformat())
    return orphan


def _wait_until_forgotten(server: ThreadServer, digest: str) -> None:
    """Until the daily run's clean-up committed (the file leaves inside its transaction, the records
    at its commit), at most 30 s."""
    deadline = time.monotonic() + 30
    while _records(server, digest) != (0, 0) and time.monotonic() < deadline:
        time.sleep(0.1)


def _backups(server: ThreadServer) -> list[tuple[str, int]]:
    return [tuple(r) for r in query(server.db_path, "SELECT trigger, ok FROM backups")]


def test_the_daily_run_cleans_orphans_after_a_verified_backup_that_keeps_a_copy(demo_template, tmp_path, monkeypatch):
    server = _daily_server(demo_template, tmp_path, monkeypatch, backup_enabled=True)
    try:
        orphan = _orphan_before_the_daily_run(server, "bukti-harian")
        _wait_until_forgotten(server, sha256(orphan))
        assert not _file(server, sha256(orphan)).exists() and _records(server, sha256(orphan)) == (0, 0)
        assert _backups(server) == [("daily", 1)]
        copy = server.settings.backups_dir / "attachments" / sha256(orphan)[:2] / sha256(orphan)
        assert copy.read_bytes() == orphan  # still recoverable from the backup folder
        assert not (server.settings.backups_dir / "attachments" / ".incoming").exists()
    finally:
        server.stop()


def test_the_daily_run_keeps_orphans_when_the_backup_failed(demo_template, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    server = _daily_server(demo_template, tmp_path, monkeypatch, backup_enabled=True, backup_dir=str(blocker / "b"))
    try:
        orphan = _orphan_before_the_daily_run(server, "bukti-harian-tanpa-cadangan")
        deadline = time.monotonic() + 30
        while not _backups(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        assert _backups(server) == [("daily", 0)]
        assert _file(server, sha256(orphan)).read_bytes() == orphan and _records(server, sha256(orphan)) == (1, 1)
    finally:
        server.stop()


def test_with_backups_off_the_daily_run_still_cleans_orphans(demo_template, tmp_path, monkeypatch):
    server = _daily_server(demo_template, tmp_path, monkeypatch, backup_enabled=False)
    try:
        orphan = _orphan_before_the_daily_run(server, "bukti-harian-cadangan-mati")
        _wait_until_forgotten(server, sha256(orphan))
        assert not _file(server, sha256(orphan)).exists() and _records(server, sha256(orphan)) == (0, 0)
        assert _backups(server) == []
    finally:
        server.stop()


# The clean-up command, killed (SIGKILL) right after its first move into the trash: before its commit.
KILLED_MID_RUN = r"""
import os, sys
real = os.replace
def replace(src, dst, *args, **kw):
    real(src, dst, *args, **kw)
    if '.trash' in str(dst):
        os.kill(os.getpid(), 9)
os.replace = replace
from server.cli import main
sys.exit(main(['--data-dir', sys.argv[1], 'attachments-clean']))
"""


def _clean_killed_before_commit(server: ThreadServer, digest: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", KILLED_MID_RUN, str(server.data_dir)], cwd=Path(__file__).resolve().parents[2]
    )
    assert run.returncode == -9
    assert not _file(server, digest).exists()
    assert [p.name for p in (server.settings.attachments_dir / ".trash").rglob(digest)] == [digest]
    assert _records(server, digest) == (1, 1)  # the removal did not commit


def _named_after_a_killed_clean_up(server: ThreadServer, member: ApiSession, label: str) -> tuple[bytes, str]:
    """An old upload, a clean-up killed before its commit, then the member's deposit naming the proof
    (applied: its record is still there). Returns the proof's bytes and hash."""
    data = png_bytes(label)
    _put(member, data)
    digest = sha256(data)
    _age(server.db_path, digest, GRACE_AGO.isoformat())
    _clean_killed_before_commit(server, digest)
    assert [r["status"] for r in member.push_ops(mandiri_deposit(4, 80_000, 1, attachment=digest))] == ["applied"]
    return data, digest


def test_a_proof_a_killed_clean_up_left_in_its_trash_is_put_back_when_downloaded(fresh_server):
    """Review finding: a clean-up killed before its commit left the file in its trash with its record
    kept; a deposit naming it applied, and its download was 404 until the next clean-up run."""
    member = login(fresh_server.url, "anggota04")
    data, digest = _named_after_a_killed_clean_up(fresh_server, member, "bukti-lama-sebelum-crash")
    response = member.http.get(f"/api/attachments/{digest}")
    assert response.status_code == 200 and response.content == data
    assert _file(fresh_server, digest).read_bytes() == data
    assert list((fresh_server.settings.attachments_dir / ".trash").rglob(digest)) == []
    member.close()


def test_a_backup_after_a_killed_clean_up_puts_the_proof_back_first_and_copies_it(fresh_server):
    member = login(fresh_server.url, "anggota04")
    data, digest = _named_after_a_killed_clean_up(fresh_server, member, "bukti-lama-sebelum-backup")
    member.close()
    db = Database(fresh_server.settings.database_path)
    try:
        row = take_backup(db, fresh_server.settings)
    finally:
        db.close()
    assert row.ok
    assert _file(fresh_server, digest).read_bytes() == data
    assert (fresh_server.settings.backups_dir / "attachments" / digest[:2] / digest).read_bytes() == data


def test_the_clean_up_drops_upload_parts_a_crash_left_and_keeps_recent_ones(fresh_server, capsys):
    """Review finding: ``.incoming/*.part`` files of uploads that crashed before being placed were
    never removed (the clean-up skips the store's dot-folders)."""
    incoming = fresh_server.settings.attachments_dir / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    stale, recent = incoming / "tmpold.part", incoming / "tmpnew.part"
    stale.write_bytes(b"x" * 100)
    recent.write_bytes(b"y" * 100)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    _clean(fresh_server, capsys)
    assert not stale.exists()
    assert recent.read_bytes() == b"y" * 100  # an upload may be receiving into it right now
