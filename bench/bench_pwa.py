"""Benchmark 4, the PWA in Debian's Chromium: cold start offline, a fresh pull, a push, the shell's weight.

Everything runs against one server process on 127.0.0.1 (``ProcessServer``, deployment settings) and
one headless ``/usr/bin/chromium`` driven by Playwright; every figure stands next to a baseline
measured in the same run, as a ratio (bench/README.md, "PWA").

1. **Cold start offline.** anggota13's replica is seeded with 5,000 extra deposits. The member logs
   in once online (persistent browser profile, so the service worker and IndexedDB survive), then the
   server is **stopped** and the context set offline. Each run launches the browser again, opens `/`
   and waits until the dashboard shows the balances. Median of the runs, with where the time goes:
   the document from the service worker, the module graph, the first view build from IndexedDB.
   Goal: under 1 s (no baseline; the issue's absolute goal).
2. **Fresh pull.** petugas1's location holds 20,000 seeded deposits. After logging in, the page drops
   its replica and the app's own ``Syncer`` pulls from an empty cursor into IndexedDB (timed). Baseline:
   the same rows ``put`` into a scratch IndexedDB in one transaction, in the same page. Goal >= 1/3.
3. **Push.** 1,000 ``deposit.create`` are queued in the page's outbox (IndexedDB) and the app's
   ``Syncer`` pushes them and pulls the results back (timed until every item is applied and settled).
   Baseline: ``client_sync`` queueing the same 1,000 on its own device and running ``sync_once`` against
   the same server right after. Goal >= 1/2.
4. **Weight.** Every file the service worker precaches (``SHELL_FILES``, fetched from the server as the
   worker does, plus ``sw.js``), gzip -9 each (what a phone downloads once). Goal <= 150 KB. The QR
   decoder, fetched on first use and kept in a cache of its own, is reported beside it, not in it.

Run: ``.venv/bin/python -m bench.bench_pwa [--quick] [--runs N] [--profile]`` (about 2-3 minutes on 2 busy cores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import re
import shutil
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import DEMO_PASSWORD, ROOT, Report, checkpoint, demo_template, start_server, workdir, write_results

PWA = ROOT / "pwa"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MEMBER = (13, "anggota13", 2, 103)  # member id, username, location, an officer of that location
OFFICER_MEMBERS = list(range(1, 13))  # location 1's members; petugas1 (101) serves location 1
DASHBOARD = ".balance[data-type=sukarela]"
WEIGHT_GOAL_KB = 150


# --- seeding ------------------------------------------------------------------------------------


def seed(data_dir: Path, rows: list[tuple[int, int, int]], chunk: int = 5000) -> float:
    """Write deposits (member, location, created_by) through the storage layer; returns seconds."""
    from server.domain.models import Deposit
    from server.storage.database import Database
    from server.storage.savings import insert_deposit

    db = Database(data_dir / "lumbung.sqlite3")
    now = dt.datetime.now(dt.UTC)
    start = time.perf_counter()
    try:
        for first in range(0, len(rows), chunk):

            def write(conn: Any, first: int = first) -> None:
                for i in range(first, min(first + chunk, len(rows))):
                    member, location, officer = rows[i]
                    insert_deposit(
                        conn,
                        Deposit(
                            id=str(uuid.uuid4()),
                            code=f"STR-PWA-{i + 1:07d}",
                            member_id=member,
                            savings_type="sukarela",
                            kind="offline",
                            amount=10_000 + i,
                            location_id=location,
                            status="unverified",
                            created_by=officer,
                            created_at=now,
                            note=f"setoran {i}",
                            device_time=now,
                        ),
                    )

            db.write_sync(write, timeout=300)
    finally:
        db.close()
    checkpoint(data_dir / "lumbung.sqlite3")
    return time.perf_counter() - start


# --- browser ------------------------------------------------------------------------------------


WAIT_JS = (
    """async ({ condition, timeoutMs }) => {
  // polled on animation frames inside the page: Playwright's own wait_for_function evaluates a string,
  // which the app's strict CSP (no 'unsafe-eval') refuses, and the benchmark keeps the real CSP
  const check = { controlled: () => navigator.serviceWorker.controller !== null,
    synced: () => (document.querySelector('#last-sync')?.textContent ?? '').includes('Sinkron '),
    dashboard: () => document.querySelector('%s') !== null }[condition];
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error('timed out waiting for ' + condition);
    await new Promise((r) => requestAnimationFrame(() => r()));
  }
  return performance.now();
}"""  # noqa: UP031 - a JS template: with str.format every brace in it would need doubling
    % DASHBOARD
)


def wait(page: Any, condition: str, timeout_ms: int = 30_000) -> float:
    """Wait in the page until ``condition`` holds; returns the page's performance.now() at that frame."""
    return float(page.evaluate(WAIT_JS, {"condition": condition, "timeoutMs": timeout_ms}))


def login(page: Any, url: str, username: str, timeout_ms: int = 180_000) -> float:
    """Log in through the form and wait for the first sync to finish; returns seconds."""
    page.goto(url + "/")
    wait(page, "controlled")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    start = time.perf_counter()
    page.click("button[type=submit]")
    wait(page, "synced", timeout_ms)
    return time.perf_counter() - start


QUIET_SYNCER = """
  const s = app.syncer;
  s.stopped = true; clearInterval(s.timer); clearTimeout(s.retryTimer); s.closeEvents();
  // time spent waiting for HTTP answers (network + server + JSON), to tell it from the page's own work
  if (!s.session.__timed) {
    const call = s.session.call.bind(s.session);
    s.session.__timed = true;
    s.session.call = async (...args) => {
      const t = performance.now();
      try { return await call(...args); } finally { window.__httpMs = (window.__httpMs ?? 0) + performance.now() - t; }
    };
  }
  window.__httpMs = 0;
"""

PULL_JS = (
    """async () => {
  const { app } = await import('/js/app-state.js');
  const { profileDb } = await import('/js/sync/db.js');
  const { resetReplica } = await import('/js/sync/replica.js');
  %s
  const db = await profileDb(s.clientId);
  await navigator.locks.request('lumbung-sync-' + s.clientId, async () => {
    await resetReplica(db, 'bench');
    const t0 = performance.now();
    await s.round();
    window.__bench = { ms: performance.now() - t0 };
  });
  return { ms: window.__bench.ms, httpMs: window.__httpMs, rows: await db.count('replica'), error: s.state.lastError };
}"""  # noqa: UP031 - a JS template: with str.format every brace in it would need doubling
    % QUIET_SYNCER
)

BULK_JS = """async () => {
  const { app } = await import('/js/app-state.js');
  const { profileDb } = await import('/js/sync/db.js');
  const { openDB, deleteDB } = await import('/vendor/idb/idb.js');
  const db = await profileDb(app.syncer.clientId);
  const rows = await db.getAll('replica');
  await deleteDB('bench-bulk');
  const bulk = await openDB('bench-bulk', 1, { upgrade(d) {
    const s = d.createObjectStore('replica', { keyPath: ['entity', 'id'] });
    s.createIndex('entity', 'entity');
  } });
  const t0 = performance.now();
  const tx = bulk.transaction('replica', 'readwrite');
  for (const r of rows) tx.store.put(r);
  await tx.done;
  const ms = performance.now() - t0;
  const n = await bulk.count('replica');
  bulk.close();
  await deleteDB('bench-bulk');
  return { ms, rows: n };
}"""

PUSH_JS = (
    """async ({ n, members }) => {
  const { app } = await import('/js/app-state.js');
  const { profileDb } = await import('/js/sync/db.js');
  const outbox = await import('/js/sync/outbox.js');
  const { validateOp } = await import('/js/domain/mutations.js');
  %s
  const onChange = s.onChange;
  let changes = 0;
  s.onChange = (state) => { changes += 1; onChange(state); };  // each one schedules a view rebuild
  const db = await profileDb(s.clientId);
  const before = new Set((await outbox.allItems(db)).map((i) => i.uuid));
  const q0 = performance.now();
  for (let i = 0; i < n; i++) {
    const op = { name: 'deposit.create', deposit_id: crypto.randomUUID(), member_id: members[i %% members.length],
      savings_type: 'sukarela', kind: 'offline', amount: 10000 + i, location_id: 1, note: 'setoran ' + i };
    if (!validateOp(op).ok) throw new Error('invalid op');
    await outbox.enqueue(db, { userId: s.profile.user.id, op });
  }
  const queueMs = performance.now() - q0;
  let pushMs = 0, pullMs = 0, pushHttpMs = 0;
  await navigator.locks.request('lumbung-sync-' + s.clientId, async () => {
    const t0 = performance.now();
    await s.push(db);
    const t1 = performance.now();
    pushHttpMs = window.__httpMs;
    await s.pull(db);
    pushMs = t1 - t0; pullMs = performance.now() - t1;
  });
  s.onChange = onChange;
  // The view refresh that follows a round: the base kept from earlier builds plus the pulled changes.
  const { buildView } = await import('/js/sync/view.js');
  const v0 = performance.now();
  const view = await buildView(db);
  const viewMs = performance.now() - v0;
  if (view.deposit.filter((d) => d.sync !== null).length) throw new Error('settled items still overlaid');
  const mine = (await outbox.allItems(db)).filter((i) => !before.has(i.uuid));
  return { queueMs, pushMs, pullMs, viewMs, pushHttpMs, changes, pullHttpMs: window.__httpMs - pushHttpMs, queued: mine.length,
           applied: mine.filter((i) => i.state === 'applied').length,
           settled: mine.filter((i) => i.settled).length, error: s.state.lastError };
}"""  # noqa: UP031 - a JS template: with str.format every brace in it would need doubling
    % QUIET_SYNCER
)

RULES_PUSH_JS = (
    """async ({ n, members }) => {
  // An experiment, not the app: the same push and pull-back driven by the pure rules of
  // domain/outbox_rules.js with batched IndexedDB writes (one getAll per batch from a 'state' index,
  // the answers written without awaiting between requests), under a fresh client id of the same user.
  const { app } = await import('/js/app-state.js');
  const { profileDb, getMeta } = await import('/js/sync/db.js');
  const { openDB, deleteDB } = await import('/vendor/idb/idb.js');
  const rules = await import('/js/domain/outbox_rules.js');
  const { validateOp } = await import('/js/domain/mutations.js');
  %s
  const clientId = 'bench-rules-' + Math.random().toString(36).slice(2, 10);
  const { cursor: startCursor } = await getMeta(await profileDb(s.clientId), ['cursor']);
  await deleteDB('bench-rules');
  const db = await openDB('bench-rules', 1, { upgrade(d) {
    d.createObjectStore('outbox', { keyPath: 'uuid' }).createIndex('state', 'state');
    d.createObjectStore('replica', { keyPath: ['entity', 'id'] }).createIndex('entity', 'entity');
    d.createObjectStore('meta');
  } });
  let next = 1;
  const queued = db.transaction('outbox', 'readwrite');
  for (let i = 0; i < n; i++) {
    const op = { name: 'deposit.create', deposit_id: crypto.randomUUID(), member_id: members[i %% members.length],
      savings_type: 'sukarela', kind: 'offline', amount: 10000 + i, location_id: 1, note: 'setoran ' + i };
    if (!validateOp(op).ok) throw new Error('invalid op');
    const made = rules.newItem(next, { uuid: crypto.randomUUID(), user_id: s.profile.user.id, op });
    next = made.nextMutationId;
    queued.store.put(made.item);
  }
  await queued.done;
  const write = async (updates) => {
    const tx = db.transaction('outbox', 'readwrite');
    for (const u of updates) tx.store.put(u);
    await tx.done;
  };
  const t0 = performance.now();
  for (;;) {
    const batch = rules.pendingBatch(await db.getAllFromIndex('outbox', 'state', 'pending'), 500);
    if (!batch.length) break;
    const response = await s.session.call('POST', '/api/sync/push', { body: { client_id: clientId,
      mutations: batch.map((i) => ({ id: i.id, uuid: i.uuid, user_id: i.user_id, op: i.op, device_time: i.queued_at })) } });
    const { updates, outcome } = rules.recordResults(batch, response);
    await write(updates);
    if (rules.afterPushAnswer(outcome).action !== 'continue') break;
  }
  const t1 = performance.now();
  let cursor = startCursor ?? '';
  for (;;) {
    const page = await s.session.call('GET', '/api/sync/pull', { query: { client_id: clientId, cursor, limit: 1000 } });
    const items = await db.getAll('outbox');
    const settled = rules.applyPage(items.filter((i) => !i.settled), page);
    const tx = db.transaction(['replica', 'outbox', 'meta'], 'readwrite');
    const replica = tx.objectStore('replica');
    for (const c of page.changes) {
      if (c.op === 'delete') replica.delete([c.entity, String(c.id)]);
      else replica.put({ entity: c.entity, id: String(c.id), seq: c.seq, data: c.data });
    }
    for (const u of settled.updates) tx.objectStore('outbox').put(u);
    tx.objectStore('meta').put(page.cursor, 'cursor');
    await tx.done;
    cursor = page.cursor;
    if (!page.has_more || !page.changes.length) break;
  }
  const t2 = performance.now();
  const all = await db.getAll('outbox');
  db.close();
  await deleteDB('bench-rules');
  return { pushMs: t1 - t0, pullMs: t2 - t1, applied: all.filter((i) => i.state === 'applied').length,
           settled: all.filter((i) => i.settled).length };
}"""  # noqa: UP031 - a JS template: with str.format every brace in it would need doubling
    % QUIET_SYNCER
)

BUILD_VIEW_JS = """async () => {
  // ms: a full build (the replica read from IndexedDB, as after a start or a reset); incrementalMs: the
  // next build, from the base the first one kept (what a refresh after a sync costs, before its changes)
  const { app } = await import('/js/app-state.js');
  const { profileDb } = await import('/js/sync/db.js');
  const { buildView } = await import('/js/sync/view.js');
  const { replicaChangedElsewhere } = await import('/js/sync/replica.js');
  const db = await profileDb(app.profile.clientId);
  replicaChangedElsewhere(db);
  const t0 = performance.now();
  await buildView(db);
  const ms = performance.now() - t0;
  const t1 = performance.now();
  await buildView(db);
  const incrementalMs = performance.now() - t1;
  return { ms, incrementalMs, rows: await db.count('replica') };
}"""

TIMING_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const scripts = performance.getEntriesByType('resource').filter((r) => r.initiatorType === 'script' || r.name.endsWith('.js'));
  return { responseEnd: nav.responseEnd, domContentLoaded: nav.domContentLoadedEventEnd,
           lastModule: Math.max(0, ...scripts.map((r) => r.responseEnd)), modules: scripts.length };
}"""


class PageProfile:
    """With ``--profile``: the page's JS CPU profile (DevTools Profiler) around one timed step, summarised
    by self time per function; "(idle)" is the page waiting (for IndexedDB, which runs in the browser
    process, or for the network)."""

    def __init__(self, context: Any, page: Any, enabled: bool) -> None:
        self.cdp = context.new_cdp_session(page) if enabled else None
        self.summary: list[tuple[str, float]] = []

    def __enter__(self) -> PageProfile:
        if self.cdp is not None:
            self.cdp.send("Profiler.enable")
            self.cdp.send("Profiler.setSamplingInterval", {"interval": 250})
            self.cdp.send("Profiler.start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.cdp is None:
            return
        profile = self.cdp.send("Profiler.stop")["profile"]
        names = {}
        for node in profile["nodes"]:
            frame = node["callFrame"]
            where = frame["url"].rsplit("/", 1)[-1]
            names[node["id"]] = (
                f"{frame['functionName'] or '(anonymous)'} {where}:{frame['lineNumber'] + 1}"
                if where
                else frame["functionName"] or "(anonymous)"
            )
        own: dict[str, float] = {}
        for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
            own[names[node_id]] = own.get(names[node_id], 0.0) + delta / 1000
        total = sum(own.values()) or 1.0
        self.summary = [(k, round(100 * v / total, 1)) for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:10]]

    def report(self, report: Report, label: str) -> None:
        if self.summary:
            report.note(f"page profile, {label} (self time %)", "; ".join(f"{k} {v}" for k, v in self.summary))


def launch(playwright: Any, *, persistent: Path | None = None) -> Any:
    options = {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
    context_options = {
        "viewport": {"width": 360, "height": 800},
        "locale": "id-ID",
        "timezone_id": "Asia/Jakarta",
        "service_workers": "allow",
    }
    if persistent is not None:
        return None, playwright.chromium.launch_persistent_context(str(persistent), **options, **context_options)
    browser = playwright.chromium.launch(**options)
    return browser, browser.new_context(**context_options)


def officer_benchmarks(
    report: Report, playwright: Any, url: str, base: Path, *, runs: int, n_push: int, profile: bool = False
) -> dict:
    """2 (fresh pull vs bulk put) and 3 (browser push vs client_sync) as petugas1."""
    browser, context = launch(playwright)
    page = context.new_page()
    try:
        report.note("officer login + first pull, seconds (untimed setup)", round(login(page, url, "petugas1"), 2))
        pulls = [page.evaluate(PULL_JS) for _ in range(runs - 1)]
        with PageProfile(context, page, profile) as pull_profile:
            pulls.append(page.evaluate(PULL_JS))
        pull_profile.report(report, "fresh pull")
        for p in pulls:
            assert p["error"] is None, p
        rows = pulls[0]["rows"]
        bulks = [page.evaluate(BULK_JS) for _ in range(runs)]
        pull_ms = statistics.median(p["ms"] for p in pulls)
        bulk_ms = statistics.median(b["ms"] for b in bulks)
        assert all(b["rows"] == rows for b in bulks), (rows, bulks)
        report.figure(
            "fresh pull into IndexedDB (app Syncer)",
            rows / (pull_ms / 1000),
            rows / (bulk_ms / 1000),
            "rows/s",
            goal_ratio=1 / 3,
            primary=True,
            extra={
                "rows": rows,
                "pull_ms": [round(p["ms"]) for p in pulls],
                "bulk_ms": [round(b["ms"]) for b in bulks],
            },
        )

        with PageProfile(context, page, profile) as push_profile:
            push = page.evaluate(PUSH_JS, {"n": n_push, "members": OFFICER_MEMBERS})
        push_profile.report(report, "queue + push + pull-back")
        assert push["error"] is None and push["applied"] == n_push and push["settled"] == n_push, push
        view = page.evaluate(BUILD_VIEW_JS)
        experiment = page.evaluate(RULES_PUSH_JS, {"n": n_push, "members": OFFICER_MEMBERS})
        assert experiment["applied"] == n_push and experiment["settled"] == n_push, experiment
    finally:
        context.close()
        if browser:
            browser.close()

    from client_sync import SyncClient
    from server.protocol import DepositCreate

    client = SyncClient(base / "client-sync.sqlite3", url, device_name="bench")
    try:
        client.login("petugas1", DEMO_PASSWORD)
        first = client.sync_once()  # the device holds its location before queueing, like the browser
        assert not first.errors, first.errors
        for i in range(n_push):
            client.queue(
                DepositCreate(
                    deposit_id=SyncClient.new_id(),
                    member_id=OFFICER_MEMBERS[i % len(OFFICER_MEMBERS)],
                    savings_type="sukarela",
                    kind="offline",
                    amount=10_000 + i,
                    location_id=1,
                    note=f"setoran {i}",
                )
            )
        marks: dict[str, float] = {}
        start = time.perf_counter()
        summary = client.sync_once(lambda stage, _count: marks.setdefault(stage, time.perf_counter()))
        cs_seconds = time.perf_counter() - start
        assert not summary.errors and summary.applied == n_push, (summary.errors, summary.applied)
        cs_push = marks.get("pull", time.perf_counter()) - start
        batch = client.batch_size
    finally:
        client.close()
    browser_seconds = (push["pushMs"] + push["pullMs"]) / 1000
    report.figure(
        f"{n_push} mutations pushed + results pulled (browser)",
        n_push / browser_seconds,
        n_push / cs_seconds,
        "mutations/s",
        goal_ratio=0.5,
        primary=True,
        extra={
            "browser_push_ms": round(push["pushMs"]),
            "browser_pull_ms": round(push["pullMs"]),
            "browser_view_ms": round(push["viewMs"]),
            "client_sync_seconds": round(cs_seconds, 3),
            "client_sync_batch": batch,
            "browser_batch": 500,
        },
    )
    report.figure(
        "  push phase only (browser vs client_sync)", n_push / (push["pushMs"] / 1000), n_push / cs_push, "mutations/s"
    )
    experiment_seconds = (experiment["pushMs"] + experiment["pullMs"]) / 1000
    report.figure(
        "  experiment: outbox_rules.js + batched IndexedDB",
        n_push / experiment_seconds,
        n_push / cs_seconds,
        "mutations/s",
        extra={"push_ms": round(experiment["pushMs"]), "pull_ms": round(experiment["pullMs"])},
    )
    report.note(
        "browser push: view refreshes scheduled during push + pull-back / the refresh after it (incremental), ms",
        f"{push['changes']} / {push['viewMs']:.0f}",
    )
    report.note(
        "officer view build: full (replica read again) / incremental with no change, ms",
        f"{view['ms']:.0f} / {view['incrementalMs']:.0f} (replica of {view['rows']} rows)",
    )
    report.figure(
        f"  {n_push} pushed + pulled + view refreshed (browser)",
        n_push / ((push["pushMs"] + push["pullMs"] + push["viewMs"]) / 1000),
        n_push / cs_seconds,
        "mutations/s",
    )
    report.note(
        "browser push: waiting for HTTP answers / whole push phase, ms",
        f"{push['pushHttpMs']:.0f} / {push['pushMs']:.0f}",
    )
    report.note(
        "browser pull-back: waiting for HTTP answers / whole pull phase, ms",
        f"{push['pullHttpMs']:.0f} / {push['pullMs']:.0f}",
    )
    report.note(
        "fresh pull: waiting for HTTP answers / whole pull, ms (median run)",
        "{:.0f} / {:.0f}".format(*sorted(((p["httpMs"], p["ms"]) for p in pulls), key=lambda x: x[1])[len(pulls) // 2]),
    )
    report.note(
        f"browser: queueing {n_push} items in IndexedDB (validated, one transaction each), ms", round(push["queueMs"])
    )
    return {"pulls": pulls, "bulks": bulks, "push": push, "officer_view_build": view, "rules_experiment": experiment}


def cold_start(report: Report, playwright: Any, server: Any, base: Path, *, runs: int) -> dict:
    """1: the member's app opened with no network at all, median of ``runs`` browser launches."""
    profile_dir = base / "chromium-member"
    _, context = launch(playwright, persistent=profile_dir)
    try:
        page = context.new_page()
        report.note("member login + first pull, seconds (untimed setup)", round(login(page, server.url, MEMBER[1]), 2))
        view = page.evaluate(BUILD_VIEW_JS)
    finally:
        context.close()
    server.stop()  # no server at all from here on: nothing can be fetched
    results = []
    for _ in range(runs):
        _, context = launch(playwright, persistent=profile_dir)
        try:
            context.set_offline(True)
            page = context.pages[0] if context.pages else context.new_page()
            start = time.perf_counter()
            page.goto(server.url + "/")
            shown = wait(page, "dashboard")
            wall = time.perf_counter() - start
            timing = page.evaluate(TIMING_JS)
            build = page.evaluate(BUILD_VIEW_JS)
            results.append({"dashboard_ms": shown, "wall_ms": wall * 1000, **timing, "build_view_ms": build["ms"]})
        finally:
            context.close()
    median = statistics.median(r["dashboard_ms"] for r in results)
    report.figure(
        "cold start offline to dashboard (median)",
        median,
        None,
        "ms",
        primary=True,
        extra={
            "goal_ms": 1000,
            "goal_met": median < 1000,
            "replica_rows": view["rows"],
            "runs": [round(r["dashboard_ms"]) for r in results],
        },
    )
    for key, label in (
        ("responseEnd", "document from the service worker"),
        ("lastModule", "last module loaded"),
        ("domContentLoaded", "DOMContentLoaded"),
        ("build_view_ms", "a view build from IndexedDB"),
    ):
        report.note(f"cold start: {label}, median ms", round(statistics.median(r[key] for r in results), 1))
    report.note("cold start: modules loaded", results[0]["modules"])
    report.note("cold start goal < 1000 ms", "MET" if median < 1000 else "NOT MET")
    return {"runs": results, "replica_rows": view["rows"]}


def sw_list(sw: str, name: str) -> list[str]:
    """A list of paths in sw.js (``SHELL_FILES``, ``DECODER_FILES``), in its order, as the worker reads it."""
    return re.findall(r"'(/[^']*)'", sw.split(f"{name} = [")[1].split("];")[0])


def shell_weight(report: Report, url: str) -> dict:
    """4: exactly what the service worker precaches (every ``SHELL_FILES`` entry, ``/`` included: ``cache.addAll``
    downloads it apart from ``/index.html``) plus ``sw.js`` itself, fetched from the running server as the
    worker fetches them, each gzip -9. The QR decoder (``DECODER_FILES``) is reported apart: it is fetched on
    first use or by the officer roles' prefetch, never with the shell."""
    import httpx

    sw = (PWA / "sw.js").read_text()
    listed = sw_list(sw, "SHELL_FILES")
    decoder = sw_list(sw, "DECODER_FILES")
    assert not set(listed) & set(decoder), "the decoder must not be precached"

    def fetch(paths: list[str]) -> dict[str, bytes]:
        with httpx.Client(base_url=url) as client:
            out = {}
            for path in paths:
                r = client.get(path)
                r.raise_for_status()
                out[path] = r.content
            return out

    files = fetch([*listed, "/sw.js"])
    raw = sum(len(b) for b in files.values())
    packed = {name: len(gzip.compress(b, 9)) for name, b in files.items()}
    total = sum(packed.values())
    lazy = {name: len(gzip.compress(b, 9)) for name, b in fetch(decoder).items()}
    report.figure(
        "app shell, gzip -9 per file",
        total / 1024,
        None,
        "KB",
        primary=True,
        extra={
            "raw_kb": round(raw / 1024, 1),
            "files": len(files),
            "goal_kb": WEIGHT_GOAL_KB,
            "goal_met": total / 1024 <= WEIGHT_GOAL_KB,
            "decoder_kb_not_in_shell": round(sum(lazy.values()) / 1024, 1),
        },
    )
    report.note("app shell raw KB", round(raw / 1024, 1))
    report.note(f"app shell goal <= {WEIGHT_GOAL_KB} KB gzip", "MET" if total / 1024 <= WEIGHT_GOAL_KB else "NOT MET")
    biggest = sorted(packed.items(), key=lambda kv: -kv[1])[:5]
    report.note("largest files (gzip bytes)", ", ".join(f"{k} {v}" for k, v in biggest))
    report.note(
        "QR decoder, on first use / officer prefetch, not in the shell (gzip bytes)",
        ", ".join(f"{k} {v}" for k, v in lazy.items()),
    )
    return {"gzip_bytes": total, "raw_bytes": raw, "per_file": packed, "decoder_gzip_bytes": lazy}


def main(quick: bool = False, runs: int = 5, profile: bool = False) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit("needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
    n_member, n_officer, n_push = (500, 2000, 100) if quick else (5000, 20_000, 1000)
    runs = 2 if quick else runs
    report = Report("pwa", "the PWA in Chromium: cold start offline, fresh pull, push, shell weight")
    out: dict[str, Any] = {}
    with workdir() as base:
        template = demo_template(base)
        data = base / "server"
        shutil.copytree(template, data)
        member_rows = [(MEMBER[0], MEMBER[2], MEMBER[3])] * n_member
        officer_rows = [(OFFICER_MEMBERS[i % len(OFFICER_MEMBERS)], 1, 101) for i in range(n_officer)]
        report.note("seeding seconds", round(seed(data, member_rows + officer_rows), 2))
        server = start_server(data)
        try:
            out["weight"] = shell_weight(report, server.url)
            with sync_playwright() as playwright:
                out["officer"] = officer_benchmarks(
                    report, playwright, server.url, base, runs=3 if not quick else 1, n_push=n_push, profile=profile
                )
                out["cold_start"] = cold_start(report, playwright, server, base, runs=runs)
        finally:
            server.stop()
    payload = {**report.save(), "details": out}
    write_results("pwa", payload)
    return payload


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, to check the harness")
    parser.add_argument("--runs", type=int, default=5, help="cold-start runs (median)")
    parser.add_argument(
        "--profile", action="store_true", help="the page's JS CPU profile of the last pull and the push"
    )
    args = parser.parse_args()
    main(quick=args.quick, runs=args.runs, profile=args.profile)
