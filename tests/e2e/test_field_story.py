"""The field story of issue 2: offline officers and members, lost answers, a server killed mid-batch,
a device killed mid-sync. Afterwards every mutation ended exactly once (applied, or rejected with a
reason the user sees), balances equal the ledger's sums and the hash chain verifies."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import (
    cash,
    check_invariants,
    device,
    drain,
    kill_device_mid_sync,
    kill_server_mid_push,
    verify,
    withdraw,
)

MEMBERS_AT_LOCATION_1 = range(1, 7)


def test_offline_field_day_survives_every_fault(field, tmp_path: Path) -> None:
    server, proxy = field
    officer_a = device(tmp_path / "petugas1.db", proxy.url, "petugas1")
    officer_b = device(tmp_path / "petugas2.db", proxy.url, "petugas2")
    member = device(tmp_path / "anggota05.db", proxy.url, "anggota05")
    for d in (officer_a, officer_b, member):
        drain(d)
    available = next(b for b in member.balances(5) if b.savings_type == "sukarela").available

    proxy.cut()  # out of signal: everything below is queued offline
    for i in range(30):
        cash(officer_a, MEMBERS_AT_LOCATION_1[i % 6], 10_000 + i)
        cash(officer_b, MEMBERS_AT_LOCATION_1[i % 6], 20_000 + i)
    share = available * 4 // 10 // 1000 * 1000
    member_requests = [withdraw(member, 5, share) for _ in range(3)]  # 120 % of the balance together
    offline = officer_a.sync_once()
    assert not offline.ok and offline.retryable
    assert len(officer_a.pending()) == 30 and officer_a.cash_in_hand().total == sum(10_000 + i for i in range(30))

    proxy.restore()
    proxy.drop_rate = 0.3  # answers lost after the server has done the work
    for d in (officer_a, officer_b, member):
        drain(d)
    assert proxy.dropped > 0

    # the server is SIGKILLed while a batch is in flight, then started again
    proxy.drop_rate, proxy.delay = 0.0, 0.003
    for i in range(60):
        cash(officer_a, MEMBERS_AT_LOCATION_1[i % 6], 30_000 + i)
    reached = kill_server_mid_push(server, officer_a)
    assert 30 < reached < 90, "part of the queue was in, part not"
    assert officer_a.pending(), "the kill should land while the queue is still in flight"
    proxy.delay = 0.0
    drain(officer_a)

    # a device process is SIGKILLed mid-sync, then the officer opens the app again
    for i in range(60):
        cash(officer_b, MEMBERS_AT_LOCATION_1[i % 6], 40_000 + i)
    proxy.delay = 0.003
    kill_device_mid_sync(Path(officer_b.db_path), 0.4)
    proxy.delay = 0.0
    assert officer_b.pending(), "the kill should land while the device is still syncing"
    drain(officer_b)
    drain(member)

    # the member sees which withdrawal was refused, and why
    refused = member.rejected()
    assert [r.code for r in refused] == ["insufficient_balance"]
    assert "tersedia" in (refused[0].message or "")
    assert {w.id for w in member.withdrawals(5) if w.status == "unverified"} == set(member_requests) - {
        r.op.withdrawal_id
        for r in refused  # type: ignore[union-attr]
    }

    # four eyes: each officer verifies the other's cash, which moves the balances through the ledger
    drain(officer_a)
    drain(officer_b)
    for mine, other in ((officer_a, 102), (officer_b, 101)):
        for deposit in mine.deposits():
            if deposit.created_by == other and deposit.status == "unverified":
                verify(mine, deposit.id)
        drain(mine)
    for d in (officer_a, officer_b, member):
        drain(d)

    totals = check_invariants(server.db_path, [officer_a, officer_b, member])
    assert totals["applied"] == 30 + 30 + 60 + 60 + 2 + 180  # deposits, two withdrawals, verifications
    assert totals["rejected"] == 1
    assert officer_a.cash_in_hand().total == 0 and officer_b.cash_in_hand().total == 0
