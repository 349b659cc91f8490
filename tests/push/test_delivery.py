"""A decision on a member's money reaches each of that member's devices once, and nobody else's."""

from __future__ import annotations

import sqlite3
import time

from tests.push.conftest import deposit_code, login, new_deposit, public_key, subscribe, verify
from tests.push.receiver import PushReceiver
from tests.support.servers import ThreadServer


def _deliveries(server: ThreadServer) -> list[tuple]:
    with sqlite3.connect(server.db_path) as conn:
        return conn.execute(
            "SELECT subscription_id, status, attempts, reason FROM push_deliveries ORDER BY 1"
        ).fetchall()


def test_verified_deposit_reaches_both_devices_of_the_member_once_and_no_other_member(
    push_server: ThreadServer, receiver: PushReceiver
) -> None:
    phone, tablet = login(push_server.url, "anggota01"), login(push_server.url, "anggota01")
    other = login(push_server.url, "anggota02")
    devices = {"phone": receiver.device("m1-phone"), "tablet": receiver.device("m1-tablet")}
    other_device = receiver.device("m2-phone")
    subscribe(phone, devices["phone"])
    subscribe(tablet, devices["tablet"])
    subscribe(other, other_device)
    key = public_key(phone)
    officer, checker = login(push_server.url, "petugas1"), login(push_server.url, "petugas2")
    deposit_id = new_deposit(officer, member_id=1, amount=500_000)
    assert receiver.received == []  # an unverified deposit is no news
    verify(checker, deposit_id)
    code = deposit_code(officer, deposit_id)
    receiver.wait_for(lambda: all(receiver.hits(d) for d in devices.values()))
    time.sleep(0.5)  # room for a wrong second copy to arrive
    expected = {
        "v": 1,
        "kind": "deposit.verified",
        "title": "Setoran diverifikasi",
        "body": f"Setoran {code} Rp500.000 telah diverifikasi",
        "url": f"/#/setoran/{deposit_id}",
        "ref": {"entity": "deposit", "id": deposit_id, "code": code},
    }
    topics = set()
    for device in devices.values():
        [message] = receiver.messages(device, key, subject="mailto:ops@koperasi.invalid")
        payload = message["payload"]
        assert {k: v for k, v in payload.items() if k != "tag"} == expected
        headers = message["headers"]
        assert payload["tag"] == headers["topic"] and len(headers["topic"]) <= 32
        assert set(headers["topic"]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert int(headers["ttl"]) >= 3 * 86400 and headers["urgency"] == "normal"
        topics.add(headers["topic"])
    assert len(topics) == 1
    assert receiver.hits(other_device) == []
    assert [(s, st) for s, st, _a, _r in _deliveries(push_server)] == [(1, "sent"), (2, "sent")]
    view = login(push_server.url, "admin").get("/api/admin/push/deliveries").json()
    assert view["totals"]["sent"] == 2 and view["totals"]["pending"] == 0
    assert [(s["username"], s["sent"], s["failed"], s["pending"]) for s in view["subscriptions"]] == [
        ("anggota01", 1, 0, 0),
        ("anggota01", 1, 0, 0),
        ("anggota02", 0, 0, 0),
    ]
    assert {d["kind"] for d in view["deliveries"]} == {"deposit.verified"}
    assert all("body" not in d and "payload" not in d for d in view["deliveries"])


def test_member_who_turned_a_kind_off_gets_none_of_it(push_server: ThreadServer, receiver: PushReceiver) -> None:
    member = login(push_server.url, "anggota03")
    device = receiver.device("m3")
    subscribe(member, device)
    response = member.http.put("/api/push/preferences", json={"kinds": {"deposit.verified": False}})
    assert response.status_code == 200 and response.json()["kinds"]["deposit.verified"] is False
    officer, checker = login(push_server.url, "petugas1"), login(push_server.url, "petugas2")
    verify(checker, new_deposit(officer, member_id=3))
    time.sleep(0.8)
    assert receiver.hits(device) == []
    assert _deliveries(push_server) == []


def test_gone_subscription_410_is_removed_and_never_tried_again(
    push_server: ThreadServer, receiver: PushReceiver
) -> None:
    member = login(push_server.url, "anggota01")
    device = receiver.device("gone")
    sub = subscribe(member, device)
    receiver.script(device, (410, {}))
    officer, checker = login(push_server.url, "petugas1"), login(push_server.url, "petugas2")
    verify(checker, new_deposit(officer, member_id=1))
    receiver.wait_for(lambda: receiver.hits(device))
    deadline = time.monotonic() + 10
    while member.get("/api/push/subscriptions").json()["subscriptions"]:
        assert time.monotonic() < deadline, "subscription was not removed after 410"
        time.sleep(0.05)
    verify(checker, new_deposit(officer, member_id=1))
    time.sleep(0.8)
    assert len(receiver.hits(device)) == 1
    [(sub_id, status, _attempts, reason)] = _deliveries(push_server)
    assert sub_id == sub["id"] and status == "failed" and "410" in reason
    removed = [c for c in member.pull_all() if c["entity"] == "push_subscription"][-1]
    assert removed["data"]["status"] == "removed"


def test_429_retry_after_delays_the_next_attempt_at_least_that_long(
    push_server: ThreadServer, receiver: PushReceiver
) -> None:
    member = login(push_server.url, "anggota01")
    device = receiver.device("busy")
    subscribe(member, device)
    receiver.script(device, (429, {"Retry-After": "2"}))
    officer, checker = login(push_server.url, "petugas1"), login(push_server.url, "petugas2")
    verify(checker, new_deposit(officer, member_id=1))
    receiver.wait_for(lambda: len(receiver.hits(device)) >= 2, timeout=15)
    first, second = receiver.hits(device)[:2]
    assert first["status"] == 429 and second["status"] == 201
    assert second["at"] - first["at"] >= 2.0
    assert len(receiver.messages(device, public_key(member))) == 1


def test_push_service_down_verification_answers_at_once_and_the_notice_arrives_when_it_is_back(
    push_server: ThreadServer, receiver: PushReceiver
) -> None:
    member = login(push_server.url, "anggota01")
    device = receiver.device("later")
    subscribe(member, device)
    officer, checker = login(push_server.url, "petugas1"), login(push_server.url, "petugas2")
    deposit_id = new_deposit(officer, member_id=1)
    receiver.stop()
    started = time.monotonic()
    verify(checker, deposit_id)
    assert time.monotonic() - started < 1.0
    time.sleep(1.0)  # several attempts fail (connection refused) meanwhile
    with sqlite3.connect(push_server.db_path) as conn:
        status, attempts, reason = conn.execute("SELECT status, attempts, reason FROM push_deliveries").fetchone()
    assert status in ("pending", "sending") and attempts >= 1 and "network_error" in (reason or "network_error")
    receiver.start()
    receiver.wait_for(lambda: receiver.hits(device), timeout=15)
    time.sleep(0.5)
    [message] = receiver.messages(device, public_key(member))
    assert message["payload"]["ref"]["id"] == deposit_id


def test_members_own_rejected_mutation_reaches_only_that_member(
    push_server: ThreadServer, receiver: PushReceiver
) -> None:
    import uuid

    from server.protocol import WithdrawalCreate

    member, other = login(push_server.url, "anggota04"), login(push_server.url, "anggota01")
    device, other_device = receiver.device("m4"), receiver.device("m1")
    subscribe(member, device)
    subscribe(other, other_device)
    mutation_uuid = str(uuid.uuid4())
    [result] = member.push(
        member.mutation(
            WithdrawalCreate(
                withdrawal_id=str(uuid.uuid4()),
                member_id=4,
                savings_type="sukarela",
                amount=40_000_000,
                method="tunai",
                location_id=1,
            ),
            mutation_uuid=mutation_uuid,
        )
    ).json()["results"]
    assert result["status"] == "rejected"
    receiver.wait_for(lambda: receiver.hits(device))
    time.sleep(0.5)
    [message] = receiver.messages(device, public_key(member))
    payload = message["payload"]
    assert payload["kind"] == "mutation.rejected" and payload["title"] == "Transaksi ditolak"
    assert payload["body"].startswith("Penarikan tidak dapat diproses: ") and payload["ref"]["id"] == mutation_uuid
    assert payload["ref"]["code"] == result["code"] and payload["url"] == f"/#/riwayat/{mutation_uuid}"
    assert receiver.hits(other_device) == []


def test_push_turned_off_refuses_subscriptions_and_sends_nothing(
    demo_template, tmp_path, receiver: PushReceiver
) -> None:
    from tests.push.conftest import PUSH_SETTINGS
    from tests.support.servers import copy_template

    server = ThreadServer(
        copy_template(demo_template, tmp_path / "off"), **{**PUSH_SETTINGS, "push_enabled": False}
    ).start()
    try:
        member = login(server.url, "anggota01")
        assert member.get("/api/push/vapid-public-key").json()["enabled"] is False
        refused = member.http.post("/api/push/subscriptions", json=receiver.device("off").subscription())
        assert refused.status_code == 409 and refused.json()["code"] == "push_disabled"
        officer, checker = login(server.url, "petugas1"), login(server.url, "petugas2")
        verify(checker, new_deposit(officer, member_id=1))
        time.sleep(0.5)
        assert receiver.received == [] and _deliveries(server) == []
    finally:
        server.stop()
