/**
 * The member checks their own money on the device, offline, from the replica alone: every account's
 * entries (savings and loan accounts) are verified against their per-account hash chain
 * (domain/ledger.js, the port of server/domain/ledger.py held to tests/vectors/ledger_chain.json),
 * and each savings account's last entry must agree with the balance the replica holds.
 */
import { accountKey, verifyMemberLedger } from '../domain/ledger.js';

/** {ok, entries, firstBad: seq|null, account, reason} over one member's ledger entries and savings accounts. */
export async function checkLedger(entries, accounts) {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const balances = Object.fromEntries(accounts.map((a) => [accountKey(a.member_id, a.savings_type), a.balance]));
  const verdict = await verifyMemberLedger(sorted, balances);
  const bad = verdict.first_bad;
  return { ok: verdict.ok, entries: sorted.length, firstBad: bad?.seq ?? null, account: bad?.account ?? null, reason: bad?.reason ?? null };
}
