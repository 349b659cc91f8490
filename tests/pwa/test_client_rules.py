"""Rules of the browser sync client checked in the page itself: full-jitter backoff, and a malformed
mutation that is refused before it can reach (and block) the outbox."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .helpers import login, outbox


def test_backoff_is_full_jitter_capped_at_a_minute(page: Page) -> None:
    page.goto("/")
    delays = page.evaluate("""async () => {
      const { backoffDelay } = await import('/js/sync/engine.js');
      return [0, 1, 3, 6, 10, 30].map((n) => [backoffDelay(n, () => 0), backoffDelay(n, () => 0.999999)]);
    }""")
    assert all(low == 0 for low, _ in delays)
    assert [high for _, high in delays] == [999, 1999, 7999, 59999, 59999, 59999]


def test_malformed_mutation_is_refused_and_never_queued(page: Page) -> None:
    login(page, "anggota17")
    refused = page.evaluate("""async () => {
      const { app } = await import('/js/app-state.js');
      const bad = [
        { name: 'deposit.cancel', deposit_id: 'not-a-uuid' },
        { name: 'withdrawal.create', withdrawal_id: crypto.randomUUID(), member_id: 17, savings_type: 'sukarela',
          amount: '10000', method: 'tunai', location_id: 2 },
        { name: 'withdrawal.create', withdrawal_id: crypto.randomUUID(), member_id: 17, savings_type: 'sukarela',
          amount: 10000.5, method: 'tunai', location_id: 2 },
        { name: 'deposit.teleport', deposit_id: crypto.randomUUID() },
      ];
      const out = [];
      for (const op of bad) {
        try { await app.syncer.queue(op); out.push('queued'); } catch (err) { out.push(err.code); }
      }
      return out;
    }""")
    assert refused == ["invalid_mutation"] * 4
    assert outbox(page) == []


def test_full_storage_gives_a_clear_message_and_queues_nothing(page: Page) -> None:
    login(page, "anggota18")
    page.evaluate("""() => {
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (...args) {
        if (this.name === 'outbox') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return put.apply(this, args);
      };
    }""")
    page.goto("/#/penarikan")
    page.click("#add-withdrawal")
    page.select_option("#method", "tunai")
    page.fill("#amount", "25000")
    page.click("#save-withdrawal")
    expect(page.locator("#withdrawal-form .error")).to_contain_text("Penyimpanan perangkat penuh")
    expect(page.locator("#saved")).to_have_count(0)
    assert outbox(page) == []
