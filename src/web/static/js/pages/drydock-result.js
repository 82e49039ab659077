// A Drydock Status document (operation results, fan-out task results): status, message, reason
// and one line per node/instance, errors marked.
import { html } from '../html.js';
import { Badge, Time } from '../ui.js';

export function DrydockResult({ result }) {
  const list = result.details?.messageList ?? [];
  return html`<div class="drydock">
    <p><${Badge} state=${result.status} /> ${result.message} ${result.reason ? html`<span class="muted">— ${result.reason}</span>` : null}</p>
    <p class="muted">${result.details?.errorCount ?? 0} error(s)</p>
    ${list.length ? html`<ul class="history">${list.map((m) => html`<li class=${m.error ? 'error-text' : ''}>
      <${Time} ms=${m.ts} /> <span class="tag">${m.contextType} ${m.context}</span> ${m.error ? html`<strong>error:</strong> ` : null}${m.message}</li>`)}</ul>` : null}
  </div>`;
}
