"""The browser's REAL IndexedDB outbox (pwa/js/sync/outbox.js, replica.js) held to the shared outbox
vectors (tests/vectors/protocol_outbox.json) in Chromium.

The same file drives client_sync's SQLite outbox (tests/client_sync/test_vectors_outbox.py) and the pure
rules in Node (tests/js/outbox_rules.test.js). Here every scenario runs in a page against a fresh profile
database through the functions the sync loop (engine.js) calls: enqueue, pendingBatch (the indexed read),
recordResults, resequence, replica.applyPage (verdicts and settling in the page's transaction) and
lostStart, with the loop's next step decided by outbox_rules' afterPushAnswer / afterPushError as
engine.js does. After each step the state is read back from IndexedDB and compared with the vector.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

DATA = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "protocol_outbox.json").read_text("utf-8"))
SCENARIOS: list[dict[str, Any]] = DATA["scenarios"]

REPLAY = """async ({ scenario, clientId }) => {
  const outbox = await import('/js/sync/outbox.js');
  const { applyPage } = await import('/js/sync/replica.js');
  const { profileDb } = await import('/js/sync/db.js');
  const rules = await import('/js/domain/outbox_rules.js');
  const db = await profileDb(clientId);

  const snapshot = async () => {
    const items = await outbox.allItems(db);
    const ruled = items.map(outbox.toRule);
    return {
      items: items.map((i) => ({ id: i.id, uuid: i.uuid, state: i.state, code: i.code, message: i.message,
        visible_at: i.visibleAt, settled: i.settled })),
      next_mutation_id: await outbox.nextMutationId(db),
      overlay: rules.overlayItems(ruled).map((i) => i.uuid),
      to_send: (await outbox.pendingBatch(db, 200)).map((i) => i.id),
      counts: rules.countItems(ruled),
    };
  };

  const run = async (step) => {
    switch (step.step) {
      case 'enqueue': {
        const item = await outbox.enqueue(db, { userId: step.user_id, op: step.op, uuid: step.uuid });
        return { id: item.id };
      }
      case 'push_answer': {
        const sent = (await outbox.allItems(db)).filter((i) => step.sent.includes(i.id));
        const outcome = await outbox.recordResults(db, sent, step.response);
        const out = {
          applied: outcome.applied.map((i) => i.uuid), rejected: outcome.rejected.map((i) => i.uuid),
          retry: outcome.retry ? outcome.retry.uuid : null, retry_code: outcome.retryCode,
          collision_at: outcome.collisionAt, answered: outcome.answered,
        };
        const next = rules.afterPushAnswer(outcome);
        out.action = next.action;
        if (next.action === 'resequence') Object.assign(out, { start: next.start, count: await outbox.resequence(db, next.start) });
        return out;
      }
      case 'push_gap': {
        const next = rules.afterPushError('mutation_gap', { expected: step.expected });
        return { start: next.start, count: await outbox.resequence(db, next.start) };
      }
      case 'pull_page': {
        const r = await applyPage(db, step.page);
        return { settled_by_feed: r.settledByFeed.map((i) => i.uuid), rejected_by_feed: r.rejectedByFeed.map((i) => i.uuid) };
      }
      case 'lost_check': {
        const start = await outbox.lostStart(db, step.last_mutation_id);
        return start === null ? { start: null, count: 0 } : { start, count: await outbox.resequence(db, start) };
      }
      default:
        throw new Error(`unknown step ${step.step}`);
    }
  };

  const seen = [];
  for (const step of scenario.steps) {
    const { outcome, state, ...input } = step;
    const got = await run(input);
    seen.push({ outcome: got, state: await snapshot() });
  }
  return seen;
}"""


@pytest.fixture
def app_page(page: Page) -> Page:
    page.goto("/")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    return page


def test_every_scenario_replays_through_the_real_indexeddb_outbox(app_page: Page) -> None:
    assert len(SCENARIOS) >= 16
    for n, scenario in enumerate(SCENARIOS):
        seen = app_page.evaluate(REPLAY, {"scenario": scenario, "clientId": f"vectors{n:02d}-{scenario['name'][:20]}"})
        assert len(seen) == len(scenario["steps"])
        for k, (step, got) in enumerate(zip(scenario["steps"], seen, strict=True)):
            where = f"{scenario['name']} step {k} ({step['step']})"
            assert got["outcome"] == step["outcome"], where
            assert got["state"] == step["state"], where


def test_the_sparse_unsettled_index_follows_the_rules(app_page: Page) -> None:
    """Settling reads only the `unsettled` index: after every scenario it holds exactly the answered,
    not yet settled items (pending and settled ones carry no marker), and stored items keep their fields."""
    for n, scenario in enumerate(SCENARIOS):
        client = f"index{n:02d}-{scenario['name'][:20]}"
        app_page.evaluate(REPLAY, {"scenario": scenario, "clientId": client})
        raw = app_page.evaluate(
            """async (clientId) => {
          const { profileDb } = await import('/js/sync/db.js');
          const db = await profileDb(clientId);
          const all = await db.getAll('outbox');
          const indexed = (await db.getAllFromIndex('outbox', 'unsettled')).map((i) => i.uuid).sort();
          return { all, indexed };
        }""",
            client,
        )
        expected = sorted(i["uuid"] for i in raw["all"] if i["state"] != "pending" and not i["settled"])
        assert raw["indexed"] == expected, scenario["name"]
        for item in raw["all"]:
            assert item["userId"] == 7 and item["op"]["name"] == "deposit.cancel" and item["deviceTime"], scenario[
                "name"
            ]
