// Small building blocks every page uses, so states, times, bars, empty/loading/error states and
// dialogs look and behave the same everywhere.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { absoluteTime, relativeTime } from './format.js';
import { useTick } from './hooks.js';
import { toneOf } from './states.js';

const TONE_SYMBOL = { ok: '●', busy: '◔', warn: '▲', bad: '✖', idle: '○' };

/** A state word in its tone; the symbol repeats the tone for readers who do not see colour. */
export function Badge({ state, label }) {
  if (!state) return html`<span class="muted">—</span>`;
  const tone = toneOf(state);
  return html`<span class=${`badge tone-${tone}`} data-state=${state}><span class="badge-symbol" aria-hidden="true">${TONE_SYMBOL[tone]}</span>${label ?? state}</span>`;
}

/** A relative time ("2 minutes ago") with the absolute time on hover and for assistive tech. */
export function Time({ ms }) {
  useTick();
  if (!ms) return html`<span class="muted">—</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime=${iso} title=${absoluteTime(ms)}>${relativeTime(ms)}</time>`;
}

export function Loading({ what = 'data' }) {
  return html`<div class="state-box loading" role="status"><span class="spinner" aria-hidden="true"></span> Loading ${what}…</div>`;
}

/** A designed empty state: what is missing, and what to do about it. */
export function Empty({ title, children }) {
  return html`<div class="state-box empty"><p class="state-title">${title}</p>${children ? html`<div class="state-text">${children}</div>` : null}</div>`;
}

/** An error from the API with its validation messages, and a retry when one makes sense. */
export function ErrorNote({ error, retry, title = 'Could not load this' }) {
  if (!error) return null;
  return html`<div class="state-box error" role="alert">
    <p class="state-title">${title}</p>
    <p>${error.message}</p>
    ${error.validationErrors?.length ? html`<ul>${error.validationErrors.map((m) => html`<li>${m}</li>`)}</ul>` : null}
    ${retry ? html`<button type="button" class="button" onClick=${retry}>Try again</button>` : null}
  </div>`;
}

/**
 * The standard body of a page section fed by useResource: loading, then error (keeping the last
 * good data visible under a note), then empty or the content.
 */
export function Loaded({ resource, what, empty, children }) {
  const { data, error, loading, refresh } = resource;
  if (loading && data === undefined) return html`<${Loading} what=${what} />`;
  if (data === undefined) return html`<${ErrorNote} error=${error} retry=${refresh} title=${`Could not load ${what}`} />`;
  const stale = error ? html`<${ErrorNote} error=${error} retry=${refresh} title=${`Showing the last ${what} read; refreshing failed`} />` : null;
  const isEmpty = empty && (Array.isArray(data) ? data.length === 0 : typeof data === 'object' && data !== null && Object.keys(data).length === 0);
  return html`${stale}${isEmpty ? empty : children(data)}`;
}

/** A used/total bar with the numbers written out. */
export function Meter({ used, total, label, format = String }) {
  const share = total > 0 ? Math.min(100, Math.round((used / total) * 100)) : 0;
  const tone = share >= 90 ? 'bad' : share >= 70 ? 'warn' : 'ok';
  return html`<div class="meter">
    <div class="meter-label"><span>${label}</span><span>${format(used)} used of ${format(total)} · ${format(Math.max(0, total - used))} free</span></div>
    <div class=${`meter-track tone-${tone}`} role="meter" aria-label=${label} aria-valuemin="0" aria-valuemax=${total} aria-valuenow=${used}
      aria-valuetext=${`${format(used)} used of ${format(total)}`}>
      <div class="meter-fill" style=${{ width: `${share}%` }}></div>
    </div>
  </div>`;
}

/** Progress of an operation: done, failed and in-flight steps out of the total. */
export function Progress({ progress, state }) {
  const { total = 0, done = 0, failed = 0, inFlight = 0 } = progress ?? {};
  const pct = (n) => (total > 0 ? (n / total) * 100 : 0);
  const text = total > 0 ? `${done}/${total}${failed ? `, ${failed} failed` : ''}${inFlight ? `, ${inFlight} in flight` : ''}` : 'no steps';
  const finished = state && !['QUEUED', 'RUNNING', 'CANCELLING'].includes(state);
  return html`<div class="progress" role="progressbar" aria-label="Progress" aria-valuemin="0" aria-valuemax=${total || 1} aria-valuenow=${done}
      aria-valuetext=${text}>
    <div class="progress-track">
      <div class="progress-done" style=${{ width: `${pct(done)}%` }}></div>
      <div class="progress-failed" style=${{ width: `${pct(failed)}%` }}></div>
      ${finished ? null : html`<div class="progress-inflight" style=${{ width: `${pct(inFlight)}%` }}></div>`}
    </div>
    <span class="progress-text">${text}</span>
  </div>`;
}

/** A definition list of facts: [[term, value], …] (falsy rows are left out). */
export function Facts({ items }) {
  return html`<dl class="facts">${items.filter(Boolean).map(([term, value]) => html`<div class="fact"><dt>${term}</dt><dd>${value ?? html`<span class="muted">—</span>`}</dd></div>`)}</dl>`;
}

/** A table in a horizontally scrollable, keyboard-focusable region (narrow screens). */
export function TableWrap({ label, children }) {
  return html`<div class="table-wrap" role="region" aria-label=${label} tabindex="0">${children}</div>`;
}

/** Pretty-printed JSON as text (never HTML). */
export function Json({ value, label }) {
  return html`<pre class="json" tabindex="0" aria-label=${label}>${JSON.stringify(value, null, 2)}</pre>`;
}

export function PageHeader({ title, kicker, actions, children }) {
  return html`<header class="page-header">
    <div class="page-title">
      ${kicker ? html`<p class="kicker">${kicker}</p>` : null}
      <h1 tabindex="-1">${title}</h1>
      ${children}
    </div>
    ${actions ? html`<div class="page-actions">${actions}</div>` : null}
  </header>`;
}

export function Section({ title, actions, children, id }) {
  const headingId = `${id ?? `s-${String(title).toLowerCase().replace(/[^a-z0-9]+/g, '-')}`}-title`;
  return html`<section class="card" id=${id} aria-labelledby=${headingId}>
    <div class="card-head"><h2 id=${headingId}>${title}</h2>${actions ? html`<div class="card-actions">${actions}</div>` : null}</div>
    ${children}
  </section>`;
}

/**
 * A modal dialog (the native <dialog>: focus is trapped, Escape closes it). `onClose` is called
 * when it is dismissed; the caller decides whether it is open.
 */
export function Dialog({ title, onClose, children, wide = false }) {
  const ref = useRef();
  useEffect(() => {
    const dialog = ref.current;
    // Keyboard users go back to the control that opened the dialog when it closes.
    const opener = document.activeElement;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return html`<dialog ref=${ref} class=${wide ? 'dialog wide' : 'dialog'} aria-labelledby="dialog-title"
      onCancel=${(event) => { event.preventDefault(); onClose(); }}>
    <div class="dialog-head">
      <h2 id="dialog-title">${title}</h2>
      <button type="button" class="icon-button" aria-label="Close" onClick=${onClose}>✕</button>
    </div>
    ${children}
  </dialog>`;
}

const toastListeners = new Set();
let toastId = 0;

/** Shows a short message in the page's live region (tone: ok | bad | warn). */
export function toast(message, tone = 'ok') {
  const item = { id: ++toastId, message, tone };
  for (const listener of toastListeners) listener(item);
}

export function Toasts() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    const listener = (item) => {
      setItems((list) => [...list.slice(-3), item]);
      setTimeout(() => setItems((list) => list.filter((i) => i.id !== item.id)), 8000);
    };
    toastListeners.add(listener);
    return () => toastListeners.delete(listener);
  }, []);
  return html`<div class="toasts" role="status" aria-live="polite">
    ${items.map((item) => html`<div key=${item.id} class=${`toast tone-${item.tone}`}>${item.message}
      <button type="button" class="icon-button" aria-label="Dismiss" onClick=${() => setItems((list) => list.filter((i) => i.id !== item.id))}>✕</button></div>`)}
  </div>`;
}

/** A link-styled internal link. */
export const Link = ({ href, children, title }) => html`<a href=${href} title=${title}>${children}</a>`;
