// Tasks (`/tasks`): active tasks and recently created ones with a search filter, a form to open
// any task by its pair, and "Run a task" from a pasted spec (role RW).
import { useState } from 'preact/hooks';
import { apiGet, apiPost } from '../api.js';
import { allocationTotals, megabytes, plural } from '../format.js';
import { ActionDialog, OP_SPEC_FIELDS, opSpecOf, parseJsonField } from '../forms.js';
import { html } from '../html.js';
import { useResource, useTitle } from '../hooks.js';
import { navigate, searchParams } from '../router.js';
import { useSession } from '../session.js';
import { Badge, Empty, Loaded, PageHeader, Section, TableWrap, Time, toast } from '../ui.js';

const enc = encodeURIComponent;
const taskHref = (app, id) => `/tasks/${enc(app)}/${enc(id)}`;

function exampleSpec() {
  return JSON.stringify({
    sourceAppName: 'TEST_APP', taskId: `T${Date.now().toString(36).toUpperCase()}`,
    executable: { type: 'PROCESS', command: '/bin/sh' },
    args: ['-c', 'echo hello from $DROVE_TASK_ID'],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
  }, null, 2);
}

export function CreateTaskDialog({ onClose }) {
  return html`<${ActionDialog} title="Run a task" submitLabel="Run" wide onClose=${onClose}
    intro=${html`<p>Paste a TaskSpec (the JSON <code>corral tasks create</code> takes). A <code>nodeFilter</code> fans it out to
      several executors.</p>`}
    fields=${[{ name: 'spec', label: 'Task spec (JSON)', type: 'textarea', value: exampleSpec(), rows: 12, paths: ['spec'] }, ...OP_SPEC_FIELDS]}
    send=${async (values) => {
      const spec = parseJsonField(values.spec, 'spec', 'task spec');
      const result = await apiPost('/apis/v1/tasks/operations', { type: 'CREATE', spec, opSpec: opSpecOf(values) });
      return { ...result, spec };
    }}
    onDone=${(result) => {
      toast(`Task ${result.taskId} created`);
      navigate(taskHref(result.spec.sourceAppName, result.spec.taskId));
    }} />`;
}

function FindTask() {
  const [app, setApp] = useState('');
  const [id, setId] = useState('');
  return html`<form class="find-task" onSubmit=${(e) => { e.preventDefault(); if (app.trim() && id.trim()) navigate(taskHref(app.trim(), id.trim())); }}>
    <label class="inline-field">Source app <input value=${app} onInput=${(e) => setApp(e.currentTarget.value)} autocomplete="off" /></label>
    <label class="inline-field">Task id <input value=${id} onInput=${(e) => setId(e.currentTarget.value)} autocomplete="off" /></label>
    <button type="submit" class="button">Open task</button>
  </form>`;
}

const matches = (needle, ...values) => !needle || values.some((v) => String(v ?? '').toLowerCase().includes(needle));

export function TaskListPage() {
  useTitle('Tasks');
  const session = useSession();
  const params = searchParams();
  const [creating, setCreating] = useState(false);
  const [filter, setFilter] = useState(params.get('q') ?? '');
  const [stateFilter, setStateFilter] = useState('');
  const active = useResource(() => apiGet('/apis/v1/tasks'), [], { refreshOn: ['TASK_STATE_CHANGE'] });
  const recent = useResource(async () => (await apiGet('/apis/v1/operations?type=CREATE&size=100')).filter((op) => op.target?.kind === 'task'), [],
    { refreshOn: ['OPERATION_STATE_CHANGE'], filter: (e) => Boolean(e.metadata?.TASK_ID) });
  const needle = filter.trim().toLowerCase();
  return html`
    <${PageHeader} title="Tasks"
      actions=${session.canOperate ? html`<button type="button" class="button primary" onClick=${() => setCreating(true)}>Run a task…</button>` : null} />
    ${creating ? html`<${CreateTaskDialog} onClose=${() => setCreating(false)} />` : null}
    <${Section} title="Find a task"><${FindTask} /><//>
    <${Section} title="Active tasks" id="active-tasks" actions=${html`<div class="filters">
        <label class="inline-field">Search <input type="search" value=${filter} placeholder="app, task id, host" onInput=${(e) => setFilter(e.currentTarget.value)} /></label>
        <label class="inline-field">State <select value=${stateFilter} onChange=${(e) => setStateFilter(e.currentTarget.value)}>
          <option value="">any</option>${['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'DEPROVISIONING'].map((s) => html`<option value=${s}>${s}</option>`)}
        </select></label></div>`}>
      <${Loaded} resource=${active} what="tasks" empty=${html`<${Empty} title="No task is running">Finished tasks are listed below and can be opened by their id.<//>`}>
        ${(list) => {
          const shown = list.filter((t) => matches(needle, t.sourceAppName, t.taskId, t.hostname, t.state) && (!stateFilter || t.state === stateFilter));
          if (shown.length === 0) return html`<${Empty} title="No active task matches" />`;
          return html`<${TableWrap} label="Active tasks"><table>
            <thead><tr><th scope="col">Task</th><th scope="col">State</th><th scope="col">Host</th><th scope="col">Resources</th><th scope="col">Created</th></tr></thead>
            <tbody>${shown.map((t) => {
              const { cores, memory } = allocationTotals(t.resources);
              return html`<tr key=${t.instanceId}><td><a href=${taskHref(t.sourceAppName, t.taskId)}>${t.sourceAppName}/${t.taskId}</a>
                ${t.subtaskIds?.length ? html` <span class="tag">${t.subtaskIds.length} subtasks</span>` : null}</td>
                <td><${Badge} state=${t.state} /></td><td>${t.hostname || html`<span class="muted">not placed</span>`}</td>
                <td>${t.resources ? `${plural(cores, 'core')}, ${megabytes(memory)}` : '—'}</td><td><${Time} ms=${t.created} /></td></tr>`;
            })}</tbody></table><//>`;
        }}
      <//>
    <//>
    <${Section} title="Recently created tasks" id="recent-tasks">
      <${Loaded} resource=${recent} what="recent tasks" empty=${html`<${Empty} title="No task created recently" />`}>
        ${(ops) => {
          const shown = ops.filter((op) => matches(needle, op.target.sourceAppName, op.target.taskId, op.createdBy));
          if (shown.length === 0) return html`<${Empty} title="No recent task matches" />`;
          return html`<${TableWrap} label="Recently created tasks"><table>
            <thead><tr><th scope="col">Task</th><th scope="col">Create operation</th><th scope="col">Result</th><th scope="col">Created by</th><th scope="col">Created</th></tr></thead>
            <tbody>${shown.map((op) => html`<tr key=${op.operationId}>
              <td><a href=${taskHref(op.target.sourceAppName, op.target.taskId)}>${op.target.sourceAppName}/${op.target.taskId}</a></td>
              <td><${Badge} state=${op.state} /></td><td>${op.result ? html`<${Badge} state=${op.result.status} label=${op.result.message || op.result.status} />` : '—'}</td>
              <td>${op.createdBy}</td><td><${Time} ms=${op.created} /></td></tr>`)}</tbody></table><//>`;
        }}
      <//>
    <//>`;
}
