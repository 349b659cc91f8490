"""Attachments belong to someone (issue 7.3): a mutation may name only a proof its own user uploaded,
and a proof downloads only for its uploaders and for whoever may see a deposit naming it."""

from __future__ import annotations

from tests.protocol.protocol_helpers import (
    assert_error,
    counter,
    mandiri_deposit,
    png_bytes,
    query,
    sha256,
    snapshot,
)
from tests.support.api import ApiSession, login


def _put(session: ApiSession, data: bytes) -> int:
    response = session.http.put(f"/api/attachments/{sha256(data)}", content=data, headers={"content-type": "image/png"})
    assert response.status_code in (200, 201), response.text
    return response.status_code


def test_member_cannot_name_or_download_another_members_proof(fresh_server):
    path = fresh_server.db_path
    a, b = login(fresh_server.url, "anggota03"), login(fresh_server.url, "anggota04")
    proof = png_bytes("bukti-transfer-anggota04")
    digest = sha256(proof)
    assert _put(b, proof) == 201

    # A names B's proof in a deposit: rejected with a reason, nothing of it kept, the queue moves on
    before = snapshot(path, a.client_id)
    result = a.push_ops(mandiri_deposit(3, 75_000, 1, attachment=digest))[0]
    assert (result["status"], result["code"]) == ("rejected", "attachment_not_yours"), result
    assert result["message"] and counter(path, a.client_id) == 1
    after = snapshot(path, a.client_id)
    kept = ("deposits", "balance", "held")
    assert [after[k] for k in kept] == [before[k] for k in kept]

    # ... and cannot download it: the same answer as for a hash nobody uploaded
    foreign = assert_error(a.http.get(f"/api/attachments/{digest}"), 404, "attachment_not_found")
    unknown = assert_error(a.http.get(f"/api/attachments/{sha256(b'nothing')}"), 404, "attachment_not_found")
    assert foreign == unknown
    assert b.http.get(f"/api/attachments/{digest}").content == proof  # the uploader can


def test_a_proof_opens_for_those_who_may_see_the_deposit_naming_it(fresh_server):
    b = login(fresh_server.url, "anggota04")
    officer, other_site, board = (login(fresh_server.url, u) for u in ("petugas1", "petugas3", "pengurus1"))
    proof = png_bytes("bukti-anggota04-lokasi1")
    digest = sha256(proof)
    _put(b, proof)
    # not yet named by any deposit: only the uploader may read it, not even the board
    for session in (officer, board):
        assert_error(session.http.get(f"/api/attachments/{digest}"), 404, "attachment_not_found")
    assert b.push_ops(mandiri_deposit(4, 80_000, 1, attachment=digest))[0]["status"] == "applied"
    for session in (officer, board):  # an officer of the deposit's location, the board
        response = session.http.get(f"/api/attachments/{digest}")
        assert response.status_code == 200 and response.content == proof
    assert_error(other_site.http.get(f"/api/attachments/{digest}"), 404, "attachment_not_found")


def test_a_user_who_uploads_the_same_file_owns_it_too(fresh_server):
    """Content-addressed storage keeps one file, but every uploader is recorded: having the bytes is
    what makes a proof yours."""
    path = fresh_server.db_path
    a, b = login(fresh_server.url, "anggota03"), login(fresh_server.url, "anggota04")
    proof = png_bytes("bukti-bersama")
    assert _put(b, proof) == 201
    assert _put(a, proof) == 200  # already stored: nothing new on disk, but A is now an uploader
    result = a.push_ops(mandiri_deposit(3, 60_000, 1, attachment=sha256(proof)))[0]
    assert result["status"] == "applied", result
    owners = {r[0] for r in query(path, "SELECT user_id FROM attachment_uploads WHERE sha256 = ?", sha256(proof))}
    assert owners == {3, 4}
    assert query(path, "SELECT uploaded_by FROM attachments WHERE sha256 = ?", sha256(proof))[0][0] == 4


def test_one_users_uploads_are_bounded_per_day_and_a_retry_is_always_accepted(demo_template, tmp_path):
    """Review finding: any member could fill the data folder (the database's disk) with 5 MB proofs. New
    files past the per-user bound of the last 24 hours get 429 with a wait; a file already uploaded is
    accepted again (a retry costs no disk); another user is not affected; nothing is stored."""
    from tests.support.servers import ThreadServer, copy_template

    server = ThreadServer(copy_template(demo_template, tmp_path / "data"), attachment_user_files_per_day=2).start()
    try:
        a, b = login(server.url, "anggota03"), login(server.url, "anggota04")
        first, second, third = (png_bytes(f"bukti-{n}") for n in range(3))
        assert [_put(a, first), _put(a, second)] == [201, 201]
        refused = a.http.put(f"/api/attachments/{sha256(third)}", content=third, headers={"content-type": "image/png"})
        body = assert_error(refused, 429, "attachment_quota_exceeded")
        assert body["detail"]["max_files"] == 2 and 0 < int(refused.headers["Retry-After"]) <= 86_401
        assert not (server.settings.attachments_dir / sha256(third)[:2] / sha256(third)).exists()
        assert _put(a, first) == 200  # the same file again: accepted
        assert _put(b, third) == 201  # another member's own bound
    finally:
        server.stop()


def test_uploads_sent_at_the_same_moment_pass_the_quota_by_one_file_at_most(demo_template, tmp_path):
    """Review finding: the quota is read when an upload starts and counts it when it ends, so twelve
    uploads sent at once all passed a quota of two. Now one user has at most two uploads receiving at a
    time (429 attachment_uploads_in_flight for more), so the quota is passed by one file at most."""
    import concurrent.futures

    from tests.support.servers import ThreadServer, copy_template

    server = ThreadServer(copy_template(demo_template, tmp_path / "data"), attachment_user_files_per_day=2).start()
    try:
        a = login(server.url, "anggota03")
        files = [png_bytes(f"serentak-{n}") + b"\0" * 3_000_000 for n in range(12)]

        def put(data: bytes) -> tuple[int, str | None]:
            answer = a.http.put(
                f"/api/attachments/{sha256(data)}", content=data, headers={"content-type": "image/png"}, timeout=60
            )
            return answer.status_code, answer.json().get("code")

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(put, files))
        stored = [f for f in files if (server.settings.attachments_dir / sha256(f)[:2] / sha256(f)).exists()]
        assert 1 <= len(stored) <= 3 and answers.count((201, None)) == len(stored), answers
        assert {code for status, code in answers if status == 429} <= {
            "attachment_uploads_in_flight",
            "attachment_quota_exceeded",
        }
    finally:
        server.stop()
