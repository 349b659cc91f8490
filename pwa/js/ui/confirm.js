/**
 * An admin action with its own confirmation and its own result: a destructive action asks "Yakin?"
 * in place (no blocking browser dialog), and its success or error shows right under its button.
 */
import { html, useState } from '../html.js';
import { useNote } from './online.js';

/** The result of one action, next to it: a status when it worked, an alert with the server's message when not. */
export function ActionNote({ note }) {
  if (!note) return null;
  return html`<p class=${note.ok ? 'notice ok action-note' : 'error action-note'} role=${note.ok ? 'status' : 'alert'}>${note.text}</p>`;
}

/**
 * A button that runs `action` (a function returning a promise). With `confirm` (the question), the
 * first press only asks; "Ya, lanjutkan" runs it, "Batal" goes back. `done` (the success text) and
 * `onDone(result)` follow a success.
 */
export function ActionButton({ label, confirm, action, done = 'Tersimpan.', onDone, name, disabled }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [note, run, setNote] = useNote();
  const go = async () => {
    setAsking(false);
    setBusy(true);
    const result = await run(action, typeof done === 'function' ? undefined : done);
    setBusy(false);
    if (result !== null) {
      if (typeof done === 'function') setNote({ ok: true, text: done(result) });
      onDone?.(result);
    }
  };
  return html`<div class="action" data-action=${name}>
    ${asking ? html`<div class="confirm" role="group" aria-label=${label}><p class="confirm-q">${confirm}</p>
        <div class="decide"><button type="button" class="danger confirm-yes" onClick=${go}>Ya, lanjutkan</button>
        <button type="button" class="confirm-no" onClick=${() => setAsking(false)}>Batal</button></div></div>`
      : html`<button type="button" class="action-run" disabled=${busy || disabled} onClick=${() => (confirm ? (setNote(null), setAsking(true)) : go())}>${label}</button>`}
    <${ActionNote} note=${note} /></div>`;
}
