// outbox_rules.js against tests/vectors/protocol_outbox.json: the same scenarios client_sync's real SQLite
// outbox runs in tests/client_sync/test_vectors_outbox.py, step by step, state by state.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  afterPushAnswer, afterPushError, applyPage, applyUpdates, backoffCeiling, backoffDelay, classifyError, countItems,
  lostMutations, newItem, overlayItems, pendingBatch, pruneable, recordResults, resequence, sortById,
} from "../../pwa/js/domain/outbox_rules.js";
import { vectors } from "./helpers.js";

const data = vectors("protocol_outbox.json");

function snapshot(s) {
  return {
    items: sortById(s.items).map(({ id, uuid, state, code, message, visible_at, settled }) => ({ id, uuid, state, code, message, visible_at, settled })),
    next_mutation_id: s.next,
    overlay: overlayItems(s.items).map((i) => i.uuid),
    to_send: pendingBatch(s.items, 200).map((i) => i.id),
    counts: countItems(s.items),
  };
}

function renumber(s, start) {
  const r = resequence(s.items, start);
  s.items = applyUpdates(s.items, r.updates);
  s.next = r.nextMutationId;
  return r.count;
}

function runStep(s, step) {
  switch (step.step) {
    case "enqueue": {
      const { item, nextMutationId } = newItem(s.next, { uuid: step.uuid, user_id: step.user_id, op: step.op });
      s.items.push(item);
      s.next = nextMutationId;
      return { id: item.id };
    }
    case "push_answer": {
      const sent = s.items.filter((i) => step.sent.includes(i.id));
      const { updates, outcome } = recordResults(sent, step.response);
      s.items = applyUpdates(s.items, updates);
      const out = {
        applied: outcome.applied.map((i) => i.uuid), rejected: outcome.rejected.map((i) => i.uuid),
        retry: outcome.retry ? outcome.retry.uuid : null, retry_code: outcome.retryCode, collision_at: outcome.collisionAt,
        answered: outcome.answered,
      };
      const next = afterPushAnswer(outcome);
      out.action = next.action;
      if (next.action === "resequence") Object.assign(out, { start: next.start, count: renumber(s, next.start) });
      return out;
    }
    case "push_gap": {
      const next = afterPushError("mutation_gap", { expected: step.expected });
      return { start: next.start, count: renumber(s, next.start) };
    }
    case "pull_page": {
      const r = applyPage(s.items, step.page);
      s.items = applyUpdates(s.items, r.updates);
      return { settled_by_feed: r.settledByFeed.map((i) => i.uuid), rejected_by_feed: r.rejectedByFeed.map((i) => i.uuid) };
    }
    case "lost_check": {
      const start = lostMutations(s.items, step.last_mutation_id);
      return start === null ? { start: null, count: 0 } : { start, count: renumber(s, start) };
    }
    default:
      throw new Error(step.step);
  }
}

for (const scenario of data.scenarios) {
  test(`outbox scenario ${scenario.name}`, () => {
    const s = { items: [], next: 1 };
    scenario.steps.forEach((step, n) => {
      const { outcome, state, ...input } = step;
      assert.deepEqual(runStep(s, input), outcome, `step ${n} (${step.step}) outcome`);
      assert.deepEqual(snapshot(s), state, `step ${n} (${step.step}) state`);
    });
  });
}

test("error reactions match client_sync's transport", () => {
  for (const c of data.errors) {
    const r = classifyError(c.status, c.code ? { code: c.code, message: "Pesan." } : null);
    assert.equal(r.kind, c.kind, `${c.status} ${c.code}`);
    assert.equal(r.retryable, c.retryable, `${c.status} ${c.code}`);
  }
  assert.deepEqual(
    [classifyError(0, null).kind, classifyError(0, null).retryable], ["retry", true], "no answer at all is retried",
  );
  assert.match(classifyError(426, null).message, /Transaksi tertunda tetap tersimpan/);
});

test("full-jitter backoff: ceilings like client_sync, delays within [0, ceiling]", () => {
  for (const c of data.backoff) assert.equal(backoffCeiling(c.failures, { base: c.base, cap: c.cap }), c.ceiling);
  assert.equal(backoffDelay(3, { random: () => 0.5 }), 2);
  assert.equal(backoffDelay(0, { random: () => 0.9 }), 0);
  for (let i = 0; i < 50; i++) {
    const d = backoffDelay(10);
    assert.ok(d >= 0 && d <= 60);
  }
});

test("resequence refuses a start below 1 and never changes a uuid", () => {
  assert.throws(() => resequence([], 0), RangeError);
  const items = [1, 2, 3].map((n) => newItem(n, { uuid: `u${n}`, user_id: 1, op: { name: "deposit.cancel" } }).item);
  const r = resequence(items, 10);
  assert.deepEqual(r.updates.map((i) => [i.uuid, i.id]), [["u1", 10], ["u2", 11], ["u3", 12]]);
  assert.equal(r.nextMutationId, 13);
});

test("pruning forgets only old settled history beyond the newest items", () => {
  const now = Date.parse("2026-12-01T00:00:00Z");
  const old = "2026-10-01T00:00:00Z";
  const items = [1, 2, 3, 4].map((n) => ({ id: n, uuid: `u${n}`, state: "applied", settled: n !== 4, settled_at: n !== 4 ? old : null }));
  assert.deepEqual(pruneable(items, { keep: 2, days: 30, now }), ["u1", "u2"]);
  assert.deepEqual(pruneable(items, { keep: 2, days: 90, now }), []);
});

test("a page's mutation row given as a JSON string is read the same way", () => {
  const { item } = newItem(1, { uuid: "u1", user_id: 1, op: { name: "deposit.cancel" } });
  const r = applyPage([item], { position: 9, changes: [{ seq: 9, entity: "mutation", id: "u1", op: "put", data: JSON.stringify({ uuid: "u1", status: "rejected", code: "x", message: "Pesan." }) }] });
  assert.equal(r.rejectedByFeed.length, 1);
  assert.equal(r.updates[0].settled, true);
});
