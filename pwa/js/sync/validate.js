/**
 * Structural check of a mutation before it is queued (PROTOCOL §16.4), over the domain module that
 * mirrors server/protocol.py (pwa/js/domain/mutations.js, held to the shared protocol vectors).
 * Returns a list of {field, code, message}; empty means the server's strict decoder will accept it.
 */
import { validateOp as check } from '../domain/mutations.js';

export function validateOp(op) {
  const result = check(op);
  return result.ok ? [] : result.errors;
}

/** Drop undefined/null/empty optional fields so the strict decoder sees only what was meant. */
export function clean(op) {
  return Object.fromEntries(Object.entries(op).filter(([, v]) => v !== undefined && v !== null && v !== ''));
}
