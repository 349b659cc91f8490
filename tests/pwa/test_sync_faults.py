"""The sync client under faults: a rejection mid-queue, two tabs, a page closed mid-push, a restore."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from server.protocol import WithdrawalCreate
from server.storage.backup import backup, restore
from tests.support.api import login as api_login

from .conftest import CHROMIUM_ARGS, wait_for
from .helpers import login, outbox, pending
from .test_member_offline import fill_deposit


def queue_withdrawal(page: Page, amount: str, method: str = "tunai") -> None:
    page.goto("/#/penarikan")
    page.click("#add-withdrawal")
    page.select_option("#method", method)
    page.fill("#amount", amount)
    page.click("#save-withdrawal")
    expect(page.locator("#saved")).to_contain_text("tersimpan")


def server_rows(pwa, path: str, member_id: int) -> list[dict]:  # type: ignore[no-untyped-def]
    board = api_login(pwa.url, "pengurus1")
    try:
        return board.get(path, member_id=member_id, page_size=200).json()["items"]
    finally:
        board.close()


def persistent_context(playwright, pwa, profile_dir: Path):  # type: ignore[no-untyped-def]
    """A browser whose IndexedDB and service worker outlive a closed page: what reopening the app sees."""
    return playwright.chromium.launch_persistent_context(
        str(profile_dir),
        executable_path=shutil.which("chromium") or "/usr/bin/chromium",
        args=CHROMIUM_ARGS,
        base_url=pwa.url,
        viewport={"width": 360, "height": 800},
        bypass_csp=True,
    )


def test_rejected_withdrawal_shows_ditolak_with_reason_and_the_queue_behind_it_drains(page: Page, context, pwa) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota03")
    context.set_offline(True)
    queue_withdrawal(page, "800.000")
    fill_deposit(page, "250000")
    page.click("#save-deposit")
    expect(page.locator("#saved")).to_contain_text("tersimpan")
    # Meanwhile the member's other device holds most of the balance.
    other = api_login(pwa.url, "anggota03")
    results = other.push_ops(
        WithdrawalCreate(
            withdrawal_id=str(uuid.uuid4()),
            member_id=3,
            savings_type="sukarela",
            amount=500_000,
            method="tunai",
            location_id=1,
        )
    )
    assert results[0]["status"] == "applied"
    other.close()
    context.set_offline(False)
    page.goto("/#/penarikan")
    row = page.locator("#withdrawal-list .tx", has_text="Rp800.000")
    expect(row).to_contain_text("Ditolak", timeout=20000)
    expect(row.locator(".reason")).not_to_be_empty()
    assert "saldo" in row.locator(".reason").inner_text().lower()
    wait_for(lambda: pending(page) == 0, page=page)
    deposits = [d for d in server_rows(pwa, "/api/deposits", 3) if d["amount"] == 250_000]
    assert len(deposits) == 1 and deposits[0]["status"] == "unverified"
    # A rejected item can be copied into a new one.
    row.locator("summary").click()
    row.locator("text=Salin ke penarikan baru").click()
    expect(page.locator("#amount")).to_have_value("800.000")


def test_two_tabs_offline_queue_and_each_item_is_applied_once_with_no_number_reused(page: Page, context, pwa) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota04")
    second = context.new_page()
    second.goto("/#/penarikan")
    expect(second.locator("#net-state")).to_be_visible()
    context.set_offline(True)
    for n, tab in enumerate([page, second, page, second, page]):
        queue_withdrawal(tab, f"{11 + n}.000")
    numbers = sorted(i["id"] for i in outbox(page))
    assert numbers == [1, 2, 3, 4, 5]
    context.set_offline(False)
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    amounts = sorted(w["amount"] for w in server_rows(pwa, "/api/withdrawals", 4))
    assert amounts == [11_000, 12_000, 13_000, 14_000, 15_000]
    expect(second.locator("#pending-count")).to_have_text("0 menunggu", timeout=10000)


def _officer_queues_cash_offline(playwright, pwa, tmp_path: Path, amounts: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """petugas3 in a persistent browser profile records cash deposits for member A0013 while offline.
    Returns a function that opens the profile again, the open context and its page (still offline)."""
    profile_dir = tmp_path / "chromium-profile"

    def open_context():  # type: ignore[no-untyped-def]
        return persistent_context(playwright, pwa, profile_dir)

    ctx = open_context()
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    login(page, "petugas3")
    ctx.set_offline(True)
    for amount in amounts:
        page.goto("/#/petugas")
        page.fill("#member-q", "A0013")
        page.locator("#member-results button").first.click()
        page.fill("#amount", amount)
        page.click("#save-cash")
        expect(page.locator("#saved")).to_contain_text("tersimpan")
    return open_context, ctx, page


def _officer_cash_on_the_server(pwa) -> list[int]:  # type: ignore[no-untyped-def]
    """petugas3's (user 103) cash deposits for member 13 as the server holds them, by amount."""
    return sorted(
        d["amount"] for d in server_rows(pwa, "/api/deposits", 13) if d["kind"] == "offline" and d["created_by"] == 103
    )


def test_officer_page_closed_mid_push_reopens_offline_and_applies_each_deposit_once(
    playwright, pwa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    open_context, ctx, page = _officer_queues_cash_offline(playwright, pwa, tmp_path, ("20.000", "30.000", "40.000"))
    assert pending(page) == 3
    in_flight: list[object] = []

    def hold(route):  # type: ignore[no-untyped-def]
        route.fetch()  # the server processes the push...
        in_flight.append(route)  # ...but the page never hears the answer

    ctx.route("**/api/sync/push", hold)
    ctx.set_offline(False)
    wait_for(lambda: in_flight, timeout=20, page=page)
    ctx.close()  # closed while the push is in flight

    ctx = open_context()
    ctx.set_offline(True)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.goto("/#/kas")
    expect(page.locator("#cash-total")).to_have_text("Rp90.000")
    assert len(outbox(page)) == 3  # still queued (or settled): nothing lost
    ctx.set_offline(False)
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    ctx.close()
    assert _officer_cash_on_the_server(pwa) == [20_000, 30_000, 40_000]


def test_page_closed_after_the_push_answer_before_the_pull_settled_it_applies_each_deposit_once(
    playwright, pwa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The push loop keeps an answer in memory until the pull page that settles it (one write per
    item): a page closed in that window leaves the items pending under the same numbers and UUIDs;
    the next round sends them again, the server answers from what it holds, nothing applies twice."""
    open_context, ctx, page = _officer_queues_cash_offline(playwright, pwa, tmp_path, ("21.000", "31.000"))
    queued = {i["uuid"]: i["id"] for i in outbox(page)}
    assert len(queued) == 2
    answered: list[object] = []
    held: list[object] = []
    ctx.route("**/api/sync/push", lambda route: (route.continue_(), answered.append(route)))
    ctx.route("**/api/sync/pull**", lambda route: held.append(route) if answered else route.continue_())
    ctx.set_offline(False)
    wait_for(lambda: answered and held, timeout=20, page=page)  # answered; its pull-back never comes
    pushes = pwa.hits.paths.count("/api/sync/push")
    ctx.close()

    ctx = open_context()
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.goto("/#/kas")
    wait_for(lambda: all(i["settled"] for i in outbox(page)), timeout=20, page=page)
    items = outbox(page)
    assert {i["uuid"]: i["id"] for i in items} == queued  # the same numbers and UUIDs
    assert [i["state"] for i in items] == ["applied", "applied"]
    assert pwa.hits.paths.count("/api/sync/push") > pushes  # sent again: the first answer was never written
    ctx.close()
    assert _officer_cash_on_the_server(pwa) == [21_000, 31_000]


def test_server_restore_new_epoch_rebuilds_the_replica_and_loses_nothing_queued(
    page: Page, context, pwa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota05")
    saved = backup(pwa.inner.db_path, tmp_path / "before.sqlite3")
    queue_withdrawal(page, "21.000")  # online: applied, then lost by the restore
    wait_for(lambda: pending(page) == 0 and all(i["settled"] for i in outbox(page)), timeout=20, page=page)
    context.set_offline(True)
    queue_withdrawal(page, "22.000")  # offline: still queued during the restore
    pwa.stop()
    restore(saved, pwa.inner.db_path if pwa.inner else pwa.data_dir / "lumbung.sqlite3")
    pwa.start()
    context.set_offline(False)
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    amounts = sorted(w["amount"] for w in server_rows(pwa, "/api/withdrawals", 5))
    assert amounts == [21_000, 22_000]
    reset = page.evaluate("""async () => {
      const { currentProfile } = await import('/js/sync/profiles.js');
      const { profileDb, getMeta } = await import('/js/sync/db.js');
      const db = await profileDb((await currentProfile()).clientId);
      return (await getMeta(db, ['lastReset'])).lastReset;
    }""")
    assert reset["reason"] == "epoch_changed"
    page.goto("/#/")
    expect(page.locator(".balance[data-type=sukarela]")).to_be_visible()


def test_an_item_an_older_version_queued_malformed_is_answered_and_the_queue_moves_on(page: Page, pwa) -> None:  # type: ignore[no-untyped-def]
    """An item queued before the validation refused half an emoji (or by any older version) made the
    server refuse every push as malformed, for ever. Now, on such a refusal, the items this version's
    validation refuses are answered on the device with the reason, and the rest is sent."""
    login(page, "anggota01")
    page.evaluate(
        """async () => {
          const { app } = await import('/js/app-state.js');
          const { profileDb } = await import('/js/sync/db.js');
          const outbox = await import('/js/sync/outbox.js');
          app.syncer.stop();  // both queued before any push, the broken one first, as an older version did
          const db = await profileDb(app.profile.clientId);
          const op = (note) => ({ name: 'withdrawal.create', withdrawal_id: crypto.randomUUID(), member_id: 1,
            savings_type: 'sukarela', amount: 10000, method: 'tunai', location_id: 1, note });
          await outbox.enqueue(db, { userId: app.profile.user.id, op: op('a\\ud83d') });
          await outbox.enqueue(db, { userId: app.profile.user.id, op: op('utuh \\u{1f600}') });
        }"""
    )
    page.reload()  # a fresh start sends the queue
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    items = outbox(page)
    assert sorted((i["state"], i["code"] or "") for i in items) == [
        ("applied", ""),
        ("rejected", "invalid_mutation"),
    ], items
    refused = page.locator("#rejected-items .tx")
    expect(refused.locator(".reason")).to_contain_text("karakter yang rusak")
    rows = server_rows(pwa, "/api/withdrawals", 1)
    assert [w["note"] for w in rows if w["note"].startswith("utuh")] == ["utuh \U0001f600"]
