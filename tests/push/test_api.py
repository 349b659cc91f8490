"""The push endpoints: each role, validated subscriptions with stable codes, ownership, lifecycle hooks."""

from __future__ import annotations

import base64
import os

import pytest

from server.cli import main as cli_main
from tests.push.conftest import login, subscribe
from tests.push.receiver import PushReceiver, b64url
from tests.support.servers import ThreadServer

ROLES = ["anggota01", "petugas1", "pengurus1", "admin"]


@pytest.mark.parametrize("username", ROLES)
def test_every_role_reads_the_key_manages_its_own_subscription_and_preferences(
    push_server: ThreadServer, receiver: PushReceiver, username: str
) -> None:
    session = login(push_server.url, username)
    key = session.get("/api/push/vapid-public-key").json()
    raw = base64.urlsafe_b64decode(key["public_key"] + "==")
    assert len(raw) == 65 and raw[0] == 4 and key["enabled"] is True
    sub = subscribe(session, receiver.device(username), vapid_public_key=key["public_key"], client_id=session.client_id)
    assert sub["status"] == "active" and sub["client_id"] == session.client_id
    listed = session.get("/api/push/subscriptions").json()
    assert [s["id"] for s in listed["subscriptions"]] == [sub["id"]] and listed["public_key"] == key["public_key"]
    prefs = session.http.put("/api/push/preferences", json={"kinds": {"loan.installment": False}})
    assert prefs.status_code == 200 and prefs.json()["kinds"]["loan.installment"] is False
    assert session.get("/api/push/preferences").json()["kinds"]["deposit.verified"] is True
    feed = {c["entity"]: c for c in session.pull_all()}
    assert feed["notice_preferences"]["data"]["kinds"]["loan.installment"] is False
    assert feed["push_subscription"]["data"]["id"] == sub["id"]
    assert session.http.delete(f"/api/push/subscriptions/{sub['id']}").status_code == 204
    assert session.get("/api/push/subscriptions").json()["subscriptions"] == []
    admin_view = session.get("/api/admin/push/deliveries")
    assert admin_view.status_code == (200 if username == "admin" else 403)


def test_preferences_sync_to_the_members_other_device_but_not_to_others(push_server: ThreadServer) -> None:
    phone, laptop, other = (login(push_server.url, u) for u in ("anggota05", "anggota05", "anggota06"))
    phone.http.put("/api/push/preferences", json={"kinds": {"loan.approved": False}})
    assert laptop.get("/api/push/preferences").json()["kinds"]["loan.approved"] is False
    assert [c for c in laptop.pull_all() if c["entity"] == "notice_preferences"][-1]["data"]["kinds"][
        "loan.approved"
    ] is False
    assert not [c for c in other.pull_all() if c["entity"] in ("notice_preferences", "push_subscription")]
    officer = login(push_server.url, "petugas1")
    assert not [c for c in officer.pull_all() if c["entity"] in ("notice_preferences", "push_subscription")]


def _valid(receiver: PushReceiver) -> dict:
    return receiver.device("x").subscription()


BAD = [
    ("endpoint", "ftp://push.example.com/x", 422, "subscription_endpoint_invalid"),
    ("endpoint", "http://push.example.com/x", 422, "subscription_endpoint_invalid"),
    ("endpoint", "https://10.0.0.7/x", 422, "subscription_endpoint_invalid"),
    ("endpoint", "https://user:pw@push.example.com/x", 422, "subscription_endpoint_invalid"),
    ("endpoint", "https://push.example.com/" + "a" * 2100, 422, "invalid_request"),
    ("p256dh", b64url(os.urandom(65)), 422, "subscription_key_invalid"),
    ("p256dh", b64url(b"\x04" + os.urandom(64)), 422, "subscription_key_invalid"),
    ("p256dh", "not base64 !!", 422, "subscription_key_invalid"),
    ("auth", b64url(os.urandom(15)), 422, "subscription_auth_invalid"),
    ("auth", b64url(os.urandom(32)), 422, "subscription_auth_invalid"),
]


@pytest.mark.parametrize(("field", "value", "status", "code"), BAD)
def test_malformed_subscription_is_refused_with_a_stable_code(
    push_server: ThreadServer, receiver: PushReceiver, field: str, value: str, status: int, code: str
) -> None:
    session = login(push_server.url, "anggota01")
    body = _valid(receiver)
    if field == "endpoint":
        body["endpoint"] = value
    else:
        body["keys"][field] = value
    response = session.http.post("/api/push/subscriptions", json=body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code and response.json()["message"]
    assert session.get("/api/push/subscriptions").json()["subscriptions"] == []


def test_shapes_sizes_and_ownership_are_checked(push_server: ThreadServer, receiver: PushReceiver) -> None:
    session = login(push_server.url, "anggota01")
    post = session.http.post
    assert (
        post("/api/push/subscriptions", content=b"{nope", headers={"content-type": "application/json"}).json()["code"]
        == "malformed_json"
    )
    assert post("/api/push/subscriptions", json={"endpoint": "https://a.example/x"}).status_code == 422
    assert post("/api/push/subscriptions", json={**_valid(receiver), "extra": 1}).json()["code"] == "invalid_request"
    big = post("/api/push/subscriptions", json={**_valid(receiver), "pad": "x" * 5000})
    assert big.status_code == 413 and big.json()["code"] == "request_too_large"
    wrong_client = post("/api/push/subscriptions", json={**_valid(receiver), "client_id": "someone-elses-client"})
    assert wrong_client.status_code == 403 and wrong_client.json()["code"] == "client_mismatch"
    outdated = post(
        "/api/push/subscriptions", json={**_valid(receiver), "vapid_public_key": b64url(b"\x04" + b"1" * 64)}
    )
    assert outdated.status_code == 409 and outdated.json()["code"] == "vapid_key_outdated"
    unknown = session.http.put("/api/push/preferences", json={"kinds": {"lottery.won": True}})
    assert unknown.status_code == 422 and unknown.json()["code"] == "notice_kind_unknown"
    assert session.http.put("/api/push/preferences", json={"kinds": {"deposit.verified": "no"}}).status_code == 422
    theirs = subscribe(login(push_server.url, "anggota02"), receiver.device("theirs"))
    stolen = session.http.delete(f"/api/push/subscriptions/{theirs['id']}")
    assert stolen.status_code == 404 and stolen.json()["code"] == "subscription_not_found"
    assert session.http.delete("/api/push/subscriptions/999999").status_code == 404
    assert session.http.get("/api/push/vapid-public-key", headers={"Authorization": ""}).status_code == 401
    admin = login(push_server.url, "admin")
    assert admin.get("/api/admin/push/deliveries", limit=0).json()["code"] == "limit_out_of_range"
    assert admin.get("/api/admin/push/deliveries", status="lost").status_code in (400, 422)


def test_logout_revocation_and_deactivation_remove_subscriptions(
    push_server: ThreadServer, receiver: PushReceiver
) -> None:
    phone, tablet = login(push_server.url, "anggota07"), login(push_server.url, "anggota07")
    subscribe(phone, receiver.device("p7"))
    sub_t = subscribe(tablet, receiver.device("t7"))
    assert phone.http.post("/api/auth/logout").status_code == 204
    assert [s["id"] for s in tablet.get("/api/push/subscriptions").json()["subscriptions"]] == [sub_t["id"]]
    admin = login(push_server.url, "admin")
    assert admin.http.post("/api/admin/users/7/revoke-sessions").status_code == 200
    view = admin.get("/api/admin/push/deliveries").json()
    reasons = {s["client_id"]: (s["status"], s["removed_reason"]) for s in view["subscriptions"]}
    assert reasons == {phone.client_id: ("removed", "logout"), tablet.client_id: ("removed", "sessions_revoked")}
    member = login(push_server.url, "anggota08")
    subscribe(member, receiver.device("m8"))
    assert admin.http.post("/api/admin/members/8/deactivate").status_code == 200
    view = admin.get("/api/admin/push/deliveries").json()
    assert [s["status"] for s in view["subscriptions"] if s["user_id"] == 8] == ["removed"]


def test_rotating_keys_asks_devices_to_resubscribe(push_server: ThreadServer, receiver: PushReceiver, capsys) -> None:
    session = login(push_server.url, "anggota09")
    old = session.get("/api/push/vapid-public-key").json()
    sub = subscribe(session, receiver.device("r9"))
    assert cli_main(["--data-dir", str(push_server.data_dir), "push", "rotate-keys"]) == 0
    assert "1 langganan" in capsys.readouterr().out
    new = session.get("/api/push/vapid-public-key").json()
    assert new["key_id"] != old["key_id"]
    [listed] = session.get("/api/push/subscriptions").json()["subscriptions"]
    assert listed["status"] == "resubscribe"
    assert [c for c in session.pull_all() if c["entity"] == "push_subscription"][-1]["data"]["status"] == "resubscribe"
    again = subscribe(session, receiver.device("r9"), vapid_public_key=new["public_key"])
    assert again["id"] == sub["id"] and again["status"] == "active" and again["vapid_key_id"] == new["key_id"]
    key_file = push_server.data_dir / "vapid_private.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_push_command_prints_the_delivery_view(push_server: ThreadServer, receiver: PushReceiver, capsys) -> None:
    session = login(push_server.url, "anggota10")
    subscribe(session, receiver.device("c10"))
    assert cli_main(["--data-dir", str(push_server.data_dir), "push", "deliveries"]) == 0
    out = capsys.readouterr().out
    assert "terkirim 0, gagal 0, menunggu 0" in out and "anggota10" in out and receiver.origin in out
