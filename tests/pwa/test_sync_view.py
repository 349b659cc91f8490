"""The sync client's IndexedDB writes and the incremental view against the REAL IndexedDB in Chromium.

- Another tab's page or reset reaches this tab's next view through meta.replicaGen, with no 'changed'
  broadcast (the other tab may close mid-round and never send it): an item that page settled is shown
  once, as the server row, never vanishing in between; rows a reset removed go.
- A refused attachment renumbers the queue only after the answers kept in memory are written: an
  answered item keeps its number and verdict.
- A page whose transaction aborts keeps the push answers it would have written, for the next write.

Each test drives the modules the sync loop uses (replica.js, outbox.js, view.js, engine.js) in pages of
the real app origin, on a profile database of its own that no running Syncer touches.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, Page

SETUP = """async ({ clientId }) => {
  window.T = {
    outbox: await import('/js/sync/outbox.js'),
    replica: await import('/js/sync/replica.js'),
    view: await import('/js/sync/view.js'),
    engine: await import('/js/sync/engine.js'),
    api: await import('/js/sync/api.js'),
    db: await (await import('/js/sync/db.js')).profileDb(clientId),
  };
}"""

DEPOSIT = {"member_id": 1, "savings_type": "sukarela", "amount": 7000, "location_id": 1}


def open_tab(context: BrowserContext, client_id: str, page: Page | None = None) -> Page:
    tab = page or context.new_page()
    tab.goto("/")
    tab.evaluate(SETUP, {"clientId": client_id})
    return tab


def deposits(tab: Page) -> list[dict[str, Any]]:
    """The deposit rows of a fresh buildView in this tab: id, status and sync state."""
    return tab.evaluate("""async () => ((await T.view.buildView(T.db)).deposit ?? [])
      .map((d) => ({ id: d.id, status: d.status, sync: d.sync?.state ?? null }))""")


def test_another_tabs_page_and_reset_reach_this_tabs_view_without_its_broadcast(
    page: Page, context: BrowserContext
) -> None:
    a = open_tab(context, "gen-two-tabs", page)
    b = open_tab(context, "gen-two-tabs")
    a.evaluate(
        """async (deposit) => {
          await T.replica.applyPage(T.db, { changes: [{ entity: 'deposit', id: 'd1', op: 'put', seq: 1,
            data: { id: 'd1', ...deposit, status: 'verified' } }], position: 1, cursor: 'c1', last_mutation_id: 0 });
          await T.outbox.enqueue(T.db, { userId: 7, op: { name: 'deposit.create', deposit_id: 'd9', ...deposit } });
        }""",
        DEPOSIT,
    )
    assert deposits(a) == [
        {"id": "d1", "status": "verified", "sync": None},
        {"id": "d9", "status": "unverified", "sync": "pending"},
    ]
    # Tab B pushes d9 and pulls the page that shows it, settling the item; it never broadcasts.
    b.evaluate(
        """async (deposit) => {
          const sent = await T.outbox.pendingBatch(T.db);
          await T.outbox.recordResults(T.db, sent, { results: [{ id: sent[0].id, uuid: sent[0].uuid, status: 'applied',
            visible_at: 2 }], last_mutation_id: 1 });
          await T.replica.applyPage(T.db, { changes: [{ entity: 'deposit', id: 'd9', op: 'put', seq: 2,
            data: { id: 'd9', ...deposit, status: 'unverified', code: 'S-0009' } }], position: 2, cursor: 'c2', last_mutation_id: 1 });
          const item = (await T.outbox.allItems(T.db))[0];
          if (!item.settled) throw new Error('the page did not settle the item');
        }""",
        DEPOSIT,
    )
    shown = deposits(a)
    assert shown == [
        {"id": "d1", "status": "verified", "sync": None},
        {"id": "d9", "status": "unverified", "sync": None},
    ]
    code = a.evaluate("async () => (await T.view.buildView(T.db)).deposit.find((d) => d.id === 'd9').code")
    assert code == "S-0009"  # the server's row, not the optimistic one
    # Tab B's scope changed: its reset drops the replica, and tab A's view with it.
    b.evaluate("async () => T.replica.resetReplica(T.db, 'scope_changed')")
    assert deposits(a) == []
    # Tab A's own pages still go on incrementally after the rebuild.
    a.evaluate(
        """async (deposit) => T.replica.applyPage(T.db, { changes: [{ entity: 'deposit', id: 'd5', op: 'put', seq: 3,
          data: { id: 'd5', ...deposit, status: 'verified' } }], position: 3, cursor: 'c3', last_mutation_id: 1 })""",
        DEPOSIT,
    )
    assert deposits(a) == [{"id": "d5", "status": "verified", "sync": None}]
    assert deposits(b) == [{"id": "d5", "status": "verified", "sync": None}]


def test_a_refused_attachment_writes_the_kept_answers_before_renumbering(page: Page, context: BrowserContext) -> None:
    tab = open_tab(context, "gen-refuse", page)
    result = tab.evaluate(
        """async (deposit) => {
          const q = (id, attachment = null) => T.outbox.enqueue(T.db, { userId: 7, attachment,
            op: { name: 'deposit.create', deposit_id: id, ...deposit } });
          await q('d1');
          const withProof = await q('d2', { bytes: new TextEncoder().encode('bukti').buffer, type: 'image/jpeg' });
          await q('d3');
          const syncer = new T.engine.Syncer({ clientId: 'gen-refuse', user: { id: 7 }, accessToken: null });
          // #1 was answered in a batch the loop went on from: its answer is kept in memory only.
          const sent = await T.outbox.pendingBatch(T.db, 1);
          const plan = T.outbox.planResults(sent, { results: [{ id: 1, uuid: sent[0].uuid, status: 'applied', visible_at: 5 }],
            last_mutation_id: 1 });
          for (const u of plan.updates) syncer.answered.set(u.uuid, { rule: u, stored: plan.stored.get(u.uuid) });
          await syncer.refuseLocally(T.db, [withProof], new T.api.ApiError(422, 'attachment_invalid', 'Berkas rusak.'));
          const items = (await T.outbox.allItems(T.db)).map((i) => [i.op.deposit_id, i.id, i.state]);
          return { items, kept: syncer.answered.size, next: await T.outbox.nextMutationId(T.db) };
        }""",
        DEPOSIT,
    )
    assert sorted(result["items"]) == [["d1", 1, "applied"], ["d2", -2, "rejected"], ["d3", 2, "pending"]]
    assert result["kept"] == 0
    assert result["next"] == 3


def test_an_aborted_page_keeps_the_push_answers_it_would_have_written(page: Page, context: BrowserContext) -> None:
    tab = open_tab(context, "gen-abort", page)
    result = tab.evaluate(
        """async (deposit) => {
          await T.outbox.enqueue(T.db, { userId: 7, op: { name: 'deposit.create', deposit_id: 'd1', ...deposit } });
          const sent = await T.outbox.pendingBatch(T.db);
          const plan = T.outbox.planResults(sent, { results: [{ id: 1, uuid: sent[0].uuid, status: 'applied', visible_at: 3 }],
            last_mutation_id: 1 });
          const answered = new Map(plan.updates.map((u) => [u.uuid, { rule: u, stored: plan.stored.get(u.uuid) }]));
          const page = (cursor) => ({ changes: [{ entity: 'deposit', id: 'd1', op: 'put', seq: 3,
            data: { id: 'd1', ...deposit, status: 'unverified' } }], position: 3, cursor, last_mutation_id: 1 });
          const state = async () => ({
            item: (await T.outbox.allItems(T.db)).map((i) => [i.state, !!i.settled])[0],
            rows: (await T.replica.rows(T.db, 'deposit')).length,
            meta: await T.db.get('meta', 'cursor') ?? null, gen: await T.db.get('meta', 'replicaGen') ?? 0,
          });
          let error = null;
          // A cursor IndexedDB cannot store: the page's transaction fails after the settling was planned.
          try { await T.replica.applyPage(T.db, page(() => 'c1'), answered); } catch (err) { error = err.name; }
          const aborted = { error, kept: answered.size, ...(await state()) };
          await T.replica.applyPage(T.db, page('c1'), answered);
          return { aborted, committed: { kept: answered.size, ...(await state()) } };
        }""",
        DEPOSIT,
    )
    aborted, committed = result["aborted"], result["committed"]
    assert aborted == {
        "error": "DataCloneError",
        "kept": 1,
        "item": ["pending", False],
        "rows": 0,
        "meta": None,
        "gen": 0,
    }
    assert committed == {"kept": 0, "item": ["applied", True], "rows": 1, "meta": "c1", "gen": 1}
