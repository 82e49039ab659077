// Operations (`/operations`), the page for incidents: every operation with its state and
// progress, live; select some or all and abort them gracefully or by force (docs/operations.md).
import { useState } from 'preact/hooks';
import { apiGet, apiPost, query } from '../api.js';
import { plural, targetLabel } from '../format.js';
import { ActionDialog } from '../forms.js';
import { html } from '../html.js';
import { useResource, useTitle } from '../hooks.js';
import { navigate, searchParams } from '../router.js';
import { useSession } from '../session.js';
import { ACTIVE_OPERATION_STATES } from '../states.js';
import { Empty, Loaded, PageHeader, Section } from '../ui.js';
import { OperationTable } from './operation-table.js';

const VIEWS = [['ACTIVE', 'Active'], ['FINISHED', 'Finished'], ['ALL', 'All']];
const TYPES = ['CREATE', 'START_INSTANCES', 'SCALE', 'SUSPEND', 'STOP_INSTANCES', 'REPLACE_INSTANCES', 'DESTROY', 'RECOVER', 'BLACKLIST_MOVE', 'KILL'];
const LIVE_TYPES = ['OPERATION_STATE_CHANGE', 'INSTANCE_STATE_CHANGE', 'TASK_STATE_CHANGE'];
const PAGE_SIZE = 200;

/** The abort dialog: mode, optional deadline, and what will be aborted. `ids` empty = every active operation. */
export function AbortDialog({ ids, operations, onClose, onResults }) {
  const chosen = operations.filter((op) => ids.includes(op.operationId));
  return html`<${ActionDialog} title=${ids.length ? `Abort ${plural(ids.length, 'operation')}` : 'Abort every active operation'}
    submitLabel=${ids.length ? `Abort ${plural(ids.length, 'operation')}` : 'Abort all active'} danger onClose=${onClose}
    intro=${ids.length
      ? html`<ul class="abort-list">${chosen.map((op) => html`<li><strong>${op.type}</strong> of ${targetLabel(op.target)} <span class="muted">(${op.state})</span></li>`)}</ul>`
      : html`<p>Every operation that is still active when the controller receives this — apps and tasks — is aborted.</p>`}
    fields=${[
      {
        name: 'mode', label: 'How', type: 'radio', value: 'GRACEFUL', paths: ['mode'],
        options: [
          ['GRACEFUL', 'Graceful', 'steps in flight finish, nothing new starts, tasks get SIGTERM then the kill timeout'],
          ['FORCE', 'Force', 'steps in flight are interrupted now, what they started is killed'],
        ],
      },
      { name: 'deadline', label: 'Deadline (graceful only, optional)', placeholder: 'e.g. 30 seconds', paths: ['deadline'],
        help: 'After this long a graceful abort becomes a forced one. Empty: no deadline.' },
    ]}
    send=${(values) => apiPost('/apis/v1/operations/abort', {
      operationIds: ids, mode: values.mode, ...(values.deadline.trim() && values.mode === 'GRACEFUL' ? { deadline: values.deadline.trim() } : {}),
    })}
    onDone=${(result) => onResults(result.results ?? [])} />`;
}

function AbortResults({ results, onDismiss }) {
  if (!results) return null;
  const refused = results.filter((r) => !r.aborted);
  return html`<div class=${`notice ${refused.length ? 'tone-warn' : 'tone-ok'}`} role="status">
    <p><strong>Abort sent:</strong> ${results.length - refused.length} of ${plural(results.length, 'operation')} accepted.
      ${results.length === 0 ? 'There was nothing active to abort.' : ''}</p>
    ${refused.length ? html`<ul>${refused.map((r) => html`<li><code>${r.operationId}</code>: ${r.reason}</li>`)}</ul>` : null}
    <button type="button" class="button small" onClick=${onDismiss}>Dismiss</button>
  </div>`;
}

export function OperationListPage() {
  useTitle('Operations');
  const session = useSession();
  const params = searchParams();
  const view = VIEWS.some(([v]) => v === params.get('state')) ? params.get('state') : 'ACTIVE';
  const type = TYPES.includes(params.get('type')) ? params.get('type') : '';
  const [filter, setFilter] = useState('');
  const [selected, setSelected] = useState(new Set());
  const [aborting, setAborting] = useState();
  const [results, setResults] = useState();
  const operations = useResource(
    () => apiGet(`/apis/v1/operations${query({ state: view === 'ALL' ? undefined : view, type, size: PAGE_SIZE })}`),
    [view, type], { refreshOn: LIVE_TYPES },
  );
  const setQuery = (next) => navigate(`/operations${query({ state: view, type, ...next })}`, { replace: true });

  const list = operations.data ?? [];
  const needle = filter.trim().toLowerCase();
  const shown = list.filter((op) => !needle || targetLabel(op.target).toLowerCase().includes(needle) || op.type.toLowerCase().includes(needle)
    || op.createdBy?.toLowerCase().includes(needle) || op.operationId.toLowerCase().includes(needle));
  const activeIds = new Set(list.filter((op) => ACTIVE_OPERATION_STATES.has(op.state)).map((op) => op.operationId));
  // Only operations still active can be chosen: a finished one drops out of the selection.
  const chosen = [...selected].filter((id) => activeIds.has(id));
  const toggle = (id) => setSelected((s) => {
    const next = new Set(s);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });
  const toggleAll = (on) => setSelected(on ? new Set(shown.filter((op) => activeIds.has(op.operationId)).map((op) => op.operationId)) : new Set());

  const toolbar = session.canOperate ? html`<div class="abort-bar" role="toolbar" aria-label="Abort operations">
    <span class="selection-count" aria-live="polite">${chosen.length ? `${plural(chosen.length, 'operation')} selected` : 'None selected'}</span>
    <button type="button" class="button danger" disabled=${chosen.length === 0} onClick=${() => setAborting(chosen)}>
      Abort selected${chosen.length ? ` (${chosen.length})` : ''}…</button>
    <button type="button" class="button danger outline" onClick=${() => setAborting([])}>Abort all active…</button>
  </div>` : null;

  return html`
    <${PageHeader} title="Operations" kicker="Jobs">
      <p class="subtitle">Every application and task operation. Select operations to abort them, gracefully or by force.</p>
    <//>
    ${toolbar}
    <${AbortResults} results=${results} onDismiss=${() => setResults(undefined)} />
    ${aborting ? html`<${AbortDialog} ids=${aborting} operations=${list} onClose=${() => setAborting(undefined)}
      onResults=${(r) => { setResults(r); setSelected(new Set()); operations.refresh(); }} />` : null}
    <${Section} title=${VIEWS.find(([v]) => v === view)[1] + ' operations'} id="operation-list"
      actions=${html`<div class="filters">
        <div class="segmented" role="group" aria-label="Which operations">
          ${VIEWS.map(([v, label]) => html`<button type="button" class=${v === view ? 'button small on' : 'button small'} aria-pressed=${v === view ? 'true' : 'false'}
            onClick=${() => setQuery({ state: v })}>${label}</button>`)}
        </div>
        <label class="inline-field">Type <select value=${type} onChange=${(e) => setQuery({ type: e.currentTarget.value || undefined })}>
          <option value="">any</option>${TYPES.map((t) => html`<option value=${t}>${t}</option>`)}</select></label>
        <label class="inline-field">Filter <input type="search" value=${filter} placeholder="target, user, id" onInput=${(e) => setFilter(e.currentTarget.value)} /></label>
      </div>`}>
      <${Loaded} resource=${operations} what="operations" empty=${html`<${Empty} title=${view === 'ACTIVE' ? 'No operation is running' : 'No operations'}>
        ${view === 'ACTIVE' ? html`Nothing to abort. <a href="/operations?state=FINISHED">See finished operations</a>.` : 'Operations appear here when apps and tasks are changed.'}<//>`}>
        ${() => shown.length === 0 ? html`<${Empty} title="No operation matches the filter" />` : html`<${OperationTable} operations=${shown}
          label="Operations" selectable=${session.canOperate} selected=${new Set(chosen)} onToggle=${toggle} onToggleAll=${toggleAll} />`}
      <//>
      ${list.length === PAGE_SIZE ? html`<p class="muted">Showing the newest ${PAGE_SIZE}.</p>` : null}
    <//>`;
}
