/**
 * Per-account ledger chain verification on the member's device: a port of server/domain/ledger.py
 * (docs/PROTOCOL.md, "Ledger hash chains"), held to tests/vectors/ledger_chain.json.
 *
 * Why: a member's replica holds only their own ledger entries (feed entity ``ledger_entry``); the
 * per-account chain lets the device check them alone, offline: a changed entry breaks its hash, a
 * removed or reordered one breaks the numbering (account_seq) and the links, a removed last entry
 * disagrees with the account's balance the same replica holds.
 *
 * hash = lowercase hex SHA-256 (crypto.subtle) of the UTF-8 canonical JSON of the entry's hashed fields
 * for its hash_version: keys sorted, no whitespace, exactly JSON.stringify of the sorted object.
 * Version 1 (legacy) hashes the global fields; version 2 adds account_seq and account_prev_hash. The
 * account's link after an entry is its hash (version 2), sha256(account_prev_hash + hash) after a
 * legacy entry, genesis before the first. Checks, in order: wrong_account, out_of_order,
 * account_seq_gap, account_link_broken, version_downgrade, unknown_hash_version | hash_mismatch,
 * balance_mismatch, then head_mismatch against the replica's balance.
 *
 * Every function that hashes is async (crypto.subtle). Entries are checked in the order given: pass a
 * replica's entries sorted by seq.
 *
 * Exports:
 *   GENESIS_HASH, LEGACY_HASH_VERSION (1), HASH_VERSION (2), HASHED_FIELDS {1: [...], 2: [...]}
 *   accountKey(memberId, savingsType) -> "100:sukarela"
 *   canonicalPayload(entry) -> string          (throws for an unknown hash_version)
 *   sha256Hex(text) -> Promise<string>
 *   entryHash(entry) -> Promise<string>
 *   accountLink(entry | null) -> Promise<string>
 *   findChainBreak(entries, startHash = GENESIS_HASH) -> Promise<{seq, reason} | null>  (whole ledger)
 *   verifyAccount(entries, expectedBalance?, account?, firstCurrentSeq?) -> Promise<verdict>
 *        verdict: {account, entries, ok, first_bad_seq, reason, head_hash, balance}
 *   verifyAccounts(entries, balances = {}) -> Promise<[verdict]> sorted by account
 *   firstFailure(verdicts) -> verdict | null
 *   verifyMemberLedger(entries, balances = {}) -> Promise<{ok, entries, first_bad: {account, seq, reason}|null,
 *                                                        accounts: [verdict]}>   what the dashboard shows
 */

export const GENESIS_HASH = "0".repeat(64);
export const LEGACY_HASH_VERSION = 1;
export const HASH_VERSION = 2;

const V1 = ["seq", "at", "member_id", "savings_type", "amount", "kind", "ref_id", "ref_code", "balance_after", "prev_hash"];
export const HASHED_FIELDS = Object.freeze({
  [LEGACY_HASH_VERSION]: Object.freeze(V1),
  [HASH_VERSION]: Object.freeze([...V1, "account_seq", "account_prev_hash"]),
});

const encoder = new TextEncoder();

export function accountKey(memberId, savingsType) {
  return `${memberId}:${savingsType}`;
}

function versionOf(entry) {
  return entry.hash_version ?? HASH_VERSION;
}

/** The canonical JSON of the entry's hashed fields (keys sorted, no whitespace). */
export function canonicalPayload(entry) {
  const fields = HASHED_FIELDS[versionOf(entry)];
  if (!fields) throw new RangeError(`unknown hash version ${versionOf(entry)}`);
  const payload = {};
  for (const name of [...fields].sort()) payload[name] = entry[name];
  return JSON.stringify(payload);
}

export async function sha256Hex(text) {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", encoder.encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function entryHash(entry) {
  return sha256Hex(canonicalPayload(entry));
}

/** What the account's next entry must carry as account_prev_hash. */
export async function accountLink(entry) {
  if (entry === null || entry === undefined) return GENESIS_HASH;
  if (versionOf(entry) === LEGACY_HASH_VERSION) return sha256Hex(entry.account_prev_hash + entry.hash);
  return entry.hash;
}

async function hashProblem(entry) {
  if (!HASHED_FIELDS[versionOf(entry)]) return "unknown_hash_version";
  return (await entryHash(entry)) === entry.hash ? null : "hash_mismatch";
}

/** The whole ledger's chain (the board's check): links, hashes, seq order, legacy only as a prefix. */
export async function findChainBreak(entries, startHash = GENESIS_HASH) {
  let prev = startHash;
  let prevSeq = null;
  let seenCurrent = false;
  for (const entry of entries) {
    if (prevSeq !== null && entry.seq <= prevSeq) return { seq: entry.seq, reason: "out_of_order" };
    if (entry.prev_hash !== prev) return { seq: entry.seq, reason: "link_broken" };
    if (versionOf(entry) === LEGACY_HASH_VERSION && seenCurrent) return { seq: entry.seq, reason: "version_downgrade" };
    const problem = await hashProblem(entry);
    if (problem) return { seq: entry.seq, reason: problem };
    seenCurrent = seenCurrent || versionOf(entry) !== LEGACY_HASH_VERSION;
    prev = entry.hash;
    prevSeq = entry.seq;
  }
  return null;
}

function firstCurrentSeq(entries) {
  let lowest = null;
  for (const e of entries) if (versionOf(e) !== LEGACY_HASH_VERSION && (lowest === null || e.seq < lowest)) lowest = e.seq;
  return lowest;
}

const balanceOf = (entry) => (entry ? entry.balance_after : 0);

async function accountStep(entry, prev, index, first, firstCurrent) {
  if (entry.member_id !== first.member_id || entry.savings_type !== first.savings_type) return "wrong_account";
  if (prev && entry.seq <= prev.seq) return "out_of_order";
  if (entry.account_seq !== index + 1) return "account_seq_gap";
  if (entry.account_prev_hash !== (await accountLink(prev))) return "account_link_broken";
  if (versionOf(entry) === LEGACY_HASH_VERSION && firstCurrent !== null && entry.seq > firstCurrent) return "version_downgrade";
  const problem = await hashProblem(entry);
  if (problem) return problem;
  if (entry.balance_after !== balanceOf(prev) + entry.amount) return "balance_mismatch";
  return null;
}

async function finalVerdict(key, count, last, expectedBalance) {
  const head = await accountLink(last);
  const ok = expectedBalance === null || expectedBalance === undefined || expectedBalance === balanceOf(last);
  return {
    account: key, entries: count, ok, first_bad_seq: null, reason: ok ? null : "head_mismatch", head_hash: head,
    balance: balanceOf(last),
  };
}

/** One account's entries, in the order held; see the module docstring for the checks. */
export async function verifyAccount(entries, expectedBalance = null, account = "", firstCurrent = undefined) {
  if (entries.length === 0) return finalVerdict(account, 0, null, expectedBalance);
  const first = entries[0];
  const key = accountKey(first.member_id, first.savings_type);
  const current = firstCurrent === undefined || firstCurrent === null ? firstCurrentSeq(entries) : firstCurrent;
  let prev = null;
  for (let i = 0; i < entries.length; i++) {
    const reason = await accountStep(entries[i], prev, i, first, current);
    if (reason) {
      return {
        account: key, entries: entries.length, ok: false, first_bad_seq: entries[i].seq, reason,
        head_hash: await accountLink(prev), balance: balanceOf(prev),
      };
    }
    prev = entries[i];
  }
  return finalVerdict(key, entries.length, prev, expectedBalance);
}

const byAccount = (a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0);

/** Every account met in ``entries`` and every account named in ``balances``, sorted by account. */
export async function verifyAccounts(entries, balances = {}) {
  const groups = new Map();
  for (const e of entries) {
    const key = accountKey(e.member_id, e.savings_type);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(e);
  }
  const current = firstCurrentSeq(entries);
  const verdicts = [];
  for (const [key, group] of groups) verdicts.push(await verifyAccount(group, balances[key] ?? null, key, current));
  for (const [key, balance] of Object.entries(balances)) {
    if (!groups.has(key)) verdicts.push(await verifyAccount([], balance, key));
  }
  return verdicts.sort(byAccount);
}

/** The failed account to report first: lowest first_bad_seq, then head mismatches, ties by name. */
export function firstFailure(verdicts) {
  const failed = verdicts.filter((v) => !v.ok);
  if (failed.length === 0) return null;
  const rank = (v) => [v.first_bad_seq === null ? 1 : 0, v.first_bad_seq ?? 0, v.account];
  return failed.reduce((best, v) => {
    const [a, b] = [rank(v), rank(best)];
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? v : best;
    return best;
  });
}

/** The member's whole replica: what the dashboard's "Buku besar terverifikasi" line shows. */
export async function verifyMemberLedger(entries, balances = {}) {
  const accounts = await verifyAccounts(entries, balances);
  const first = firstFailure(accounts);
  return {
    ok: first === null,
    entries: entries.length,
    first_bad: first === null ? null : { account: first.account, seq: first.first_bad_seq, reason: first.reason },
    accounts,
  };
}
