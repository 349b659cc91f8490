"""Issue 10.7: TOTP secrets are sealed at rest. The database never holds one in clear (a copied
backup does not give the second factor away); secrets stored in clear before sealing are sealed at
start-up; a database restored without its ``totp.key`` answers a clear error and recovery codes
still work; with the key put back the code verifies (the restore drill, ``test_restore_drill.py``)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from server.auth import mfa
from server.auth.totp_key import TotpKey
from server.cli import main
from tests.ops.conftest import client_for, login
from tests.ops.test_mfa import _enrol, _step
from tests.support.servers import ThreadServer, copy_template


def _stored(db: Path) -> dict[int, str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {int(u): str(s) for u, s in conn.execute("SELECT user_id, secret FROM mfa_totp")}


def test_the_database_holds_no_clear_secret_and_the_code_still_works(ops_server) -> None:
    server = ops_server()
    secret, _ = _enrol(server.url, "pengurus1")
    stored = _stored(server.db_path)[104]
    assert stored.startswith("fernet:") and secret not in stored
    assert secret not in server.db_path.read_bytes().decode("latin-1")
    key = server.data_dir / "totp.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert login(server.url, "pengurus1", otp=mfa.code_at(secret, _step() + 1)).status_code == 200


def test_secrets_stored_in_clear_before_sealing_are_sealed_at_start(demo_template: Path, tmp_path: Path) -> None:
    data = copy_template(demo_template, tmp_path / "old")
    secret = mfa.new_secret()
    with sqlite3.connect(data / "lumbung.sqlite3") as conn:  # what an older server stored
        conn.execute(
            "INSERT INTO mfa_totp (user_id, secret, created_at, confirmed_at, last_step)"
            " VALUES (105, ?, '2026-12-01T00:00:00+00:00', '2026-12-01T00:00:00+00:00', 0)",
            (secret,),
        )
    server = ThreadServer(data, backup_enabled=False).start()
    try:
        stored = _stored(server.db_path)[105]
        assert stored.startswith("fernet:") and secret not in stored
        assert login(server.url, "admin").json()["code"] == "mfa_required"
        assert login(server.url, "admin", otp=mfa.code_at(secret, _step())).status_code == 200
    finally:
        server.stop()


def test_a_backup_restored_without_its_key_refuses_codes_clearly_but_recovery_codes_work(
    demo_template: Path, tmp_path: Path
) -> None:
    old = copy_template(demo_template, tmp_path / "old")
    server = ThreadServer(old, backup_enabled=False).start()
    try:
        secret, codes = _enrol(server.url, "admin")
        with client_for(server.url, "admin", otp=codes[0]) as http:
            taken = http.post("/api/admin/backups").json()
        assert taken["ok"], taken
    finally:
        server.stop()
    backup = old / "backups" / taken["file"]
    assert secret not in backup.read_bytes().decode("latin-1")  # the copy alone gives nothing away
    assert not list((old / "backups").rglob("totp.key"))  # the key never travels with the backups
    fresh = tmp_path / "fresh"
    fresh.mkdir(mode=0o700)
    shutil.copy2(old / "secret.key", fresh / "secret.key")
    assert main(["--data-dir", str(fresh), "restore-backup", str(backup)]) == 0
    restored = ThreadServer(fresh, backup_enabled=False).start()  # no totp.key: a new one is made
    try:
        refused = login(restored.url, "admin", otp=mfa.code_at(secret, _step() + 1))
        assert (refused.status_code, refused.json()["code"]) == (401, "mfa_secret_unreadable")
        assert "kode pemulihan" in refused.json()["message"]
        assert login(restored.url, "admin", otp=codes[1]).status_code == 200
    finally:
        restored.stop()


def test_rotating_the_key_reseals_every_secret_and_drops_the_old_key_while_the_server_runs(ops_server, capsys) -> None:
    server = ops_server()
    secret, _ = _enrol(server.url, "pengurus1")
    key_file = server.data_dir / "totp.key"
    old_key = key_file.read_bytes().strip()
    before = _stored(server.db_path)[104]
    assert main(["--data-dir", str(server.data_dir), "mfa-rotate-key", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"resealed": 1, "unreadable_user_ids": []}
    keys = key_file.read_bytes().split()
    assert len(keys) == 1 and keys[0] != old_key  # the old key is gone from the folder
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    after = _stored(server.db_path)[104]
    assert after != before and secret not in after
    assert Fernet(keys[0]).decrypt(after.removeprefix("fernet:").encode()).decode() == secret
    with pytest.raises(InvalidToken):  # a leaked old key opens nothing any more
        Fernet(old_key).decrypt(after.removeprefix("fernet:").encode())
    # the running server, not restarted, reads the new key: codes verify, a new enrolment is sealed under it
    assert login(server.url, "pengurus1", otp=mfa.code_at(secret, _step() + 1)).status_code == 200
    admin_secret, _ = _enrol(server.url, "admin")
    sealed = _stored(server.db_path)[105]
    assert Fernet(keys[0]).decrypt(sealed.removeprefix("fernet:").encode()).decode() == admin_secret
    with sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True) as conn:
        audited = conn.execute("SELECT after FROM audit_log WHERE action = 'mfa.key_rotated'").fetchall()
    assert [json.loads(a) for (a,) in audited] == [{"resealed": 1, "unreadable": 0}]


def test_rotation_names_secrets_no_key_opens_and_still_rotates_the_rest(ops_server, capsys) -> None:
    server = ops_server()
    secret, _ = _enrol(server.url, "pengurus1")
    foreign = "fernet:" + Fernet(Fernet.generate_key()).encrypt(b"JBSWY3DPEHPK3PXP").decode()
    with sqlite3.connect(server.db_path) as conn:  # sealed under a key this folder never had
        conn.execute(
            "INSERT INTO mfa_totp (user_id, secret, created_at, confirmed_at, last_step)"
            " VALUES (105, ?, '2026-12-01T00:00:00+00:00', '2026-12-01T00:00:00+00:00', 0)",
            (foreign,),
        )
    assert main(["--data-dir", str(server.data_dir), "mfa-rotate-key"]) == 1
    captured = capsys.readouterr()
    assert "Kunci TOTP diganti; 1 rahasia" in captured.out
    assert "pengguna 105" in captured.err and "mfa-reset" in captured.err
    assert _stored(server.db_path)[105] == foreign  # left as it was, never dropped
    assert login(server.url, "pengurus1", otp=mfa.code_at(secret, _step() + 1)).status_code == 200


def test_an_enrolment_started_before_the_rotation_is_confirmed_after_it(ops_server, capsys) -> None:
    server = ops_server()
    with client_for(server.url, "pengurus1") as http:
        started = http.post("/api/auth/mfa/enrol")
        assert started.status_code == 201, started.text
        secret = started.json()["secret"]
        assert main(["--data-dir", str(server.data_dir), "mfa-rotate-key"]) == 0
        assert "1 rahasia disegel ulang" in capsys.readouterr().out
        confirmed = http.post("/api/auth/mfa/confirm", json={"code": mfa.code_at(secret, _step())})
        assert confirmed.status_code == 200, confirmed.text


def test_the_key_ring_drops_old_keys_only_for_the_rotation_that_added_the_first(tmp_path: Path) -> None:
    ring = TotpKey(tmp_path)
    first = ring.ensure()
    sealed = ring.seal("JBSWY3DPEHPK3PXP")
    mine, theirs = Fernet.generate_key(), Fernet.generate_key()
    ring.add_first(mine)
    ring.add_first(theirs)  # another rotation came in between
    with pytest.raises(RuntimeError, match="changed during the rotation"):
        ring.keep_only(mine)
    assert len(ring.keys()) == 3 and ring.open(sealed) == "JBSWY3DPEHPK3PXP"  # nothing was dropped
    assert first is not ring.ensure()  # the file changed: read again
    ring.keep_only(theirs)
    assert ring.keys() == [theirs]


def test_one_rotation_at_a_time(tmp_path: Path) -> None:
    ring, other = TotpKey(tmp_path), TotpKey(tmp_path)
    order: list[str] = []
    entered = threading.Event()

    def second() -> None:
        entered.wait(5)
        with other.rotating():
            order.append("second")

    waiting = threading.Thread(target=second)
    waiting.start()
    with ring.rotating():
        entered.set()
        time.sleep(0.3)  # the other rotation waits for the lock meanwhile
        order.append("first")
    waiting.join(5)
    assert order == ["first", "second"]
