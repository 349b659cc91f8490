/**
 * The member checks their own money on the device: every ledger entry's hash is recomputed
 * (SHA-256 of the canonical JSON of its fields, keys sorted, as server/domain/ledger.py) and each
 * account's entries must add up: balance_after = previous balance_after + amount, and the last one
 * equals the account's balance. Works offline on the replica.
 */
const FIELDS = ['amount', 'at', 'balance_after', 'kind', 'member_id', 'prev_hash', 'ref_code', 'ref_id', 'savings_type', 'seq'];

export async function entryHash(entry) {
  const canonical = `{${FIELDS.map((k) => `${JSON.stringify(k)}:${JSON.stringify(entry[k])}`).join(',')}}`;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** {ok, entries, firstBad: seq|null, accounts} over the member's ledger entries and accounts. */
export async function checkLedger(entries, accounts) {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const last = new Map();
  for (const e of sorted) {
    const before = last.get(e.savings_type) ?? 0;
    if ((await entryHash(e)) !== e.hash || before + e.amount !== e.balance_after) return { ok: false, entries: sorted.length, firstBad: e.seq };
    last.set(e.savings_type, e.balance_after);
  }
  for (const a of accounts) {
    if ((last.get(a.savings_type) ?? 0) !== a.balance) return { ok: false, entries: sorted.length, firstBad: null, account: a.savings_type };
  }
  return { ok: true, entries: sorted.length, firstBad: null };
}
