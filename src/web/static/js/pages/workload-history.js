// The runner's lifecycle and hook events of an instance or task (newest last), errors marked.
import { html } from '../html.js';
import { Empty, Time } from '../ui.js';

export function WorkloadHistory({ events }) {
  if (!events?.length) return html`<${Empty} title="No history yet">The executor reports each lifecycle step and hook here.<//>`;
  return html`<ol class="history" aria-label="State history, oldest first">
    ${events.map((e) => html`<li class=${e.error ? 'error-text' : ''}>
      <${Time} ms=${e.time} /> <strong>${e.type}</strong>${e.hook ? html` <span class="tag">${e.hook}</span>` : null}
      ${e.error ? html`<span class="visually-hidden"> (error)</span>` : null} ${e.message}</li>`)}
  </ol>`;
}
