// One task (`/tasks/:sourceAppName/:taskId`): details, result, the Drydock result and subtasks of
// a fan-out, state history, live log tail, and kill (role RW).
import { useState } from 'preact/hooks';
import { apiGet, apiPost, seg } from '../api.js';
import { allocationTotals, megabytes, plural } from '../format.js';
import { ActionDialog, OP_SPEC_FIELDS, opSpecOf } from '../forms.js';
import { html } from '../html.js';
import { useResource, useTitle } from '../hooks.js';
import { useSession } from '../session.js';
import { ACTIVE_TASK_STATES } from '../states.js';
import { Badge, Empty, Facts, Json, Loaded, PageHeader, Section, TableWrap, Time, toast } from '../ui.js';
import { DrydockResult } from './drydock-result.js';
import { LogTail } from './log-tail.js';
import { WorkloadHistory } from './workload-history.js';

const enc = encodeURIComponent;
const MAX_SUBTASKS_SHOWN = 100;

function Subtasks({ sourceAppName, ids }) {
  const subtasks = useResource(
    () => Promise.all(ids.slice(0, MAX_SUBTASKS_SHOWN).map((id) => apiGet(`/apis/v1/tasks/${seg(sourceAppName)}/instances/${seg(id)}`))),
    [sourceAppName, ids.join(',')],
    { refreshOn: ['TASK_STATE_CHANGE'], filter: (e) => e.metadata?.APP_NAME === sourceAppName && ids.includes(e.metadata?.TASK_ID) },
  );
  return html`<${Loaded} resource=${subtasks} what="subtasks">
    ${(list) => html`<${TableWrap} label="Subtasks"><table>
      <thead><tr><th scope="col">Subtask</th><th scope="col">Node</th><th scope="col">State</th><th scope="col">Result</th><th scope="col">Updated</th></tr></thead>
      <tbody>${list.map((t) => html`<tr key=${t.taskId}>
        <td><a href=${`/tasks/${enc(t.sourceAppName)}/${enc(t.taskId)}`}>${t.taskId}</a></td>
        <td>${t.metadata?.NODE_NAME ?? t.hostname}</td><td><${Badge} state=${t.state} /></td>
        <td>${t.taskResult ? html`<${Badge} state=${t.taskResult.status} /> exit ${t.taskResult.exitCode}` : '—'}</td>
        <td><${Time} ms=${t.updated} /></td></tr>`)}</tbody></table><//>
      ${ids.length > MAX_SUBTASKS_SHOWN ? html`<p class="muted">Showing ${MAX_SUBTASKS_SHOWN} of ${ids.length} subtasks.</p>` : null}`}
  <//>`;
}

function KillDialog({ sourceAppName, taskId, onClose }) {
  return html`<${ActionDialog} title="Kill task" submitLabel="Kill" danger onClose=${onClose}
    intro=${html`<p>Task <strong>${sourceAppName}/${taskId}</strong> gets SIGTERM, then SIGKILL after the kill timeout; its result
      becomes CANCELLED. To kill at once, abort its operation by force on the Operations page.</p>`}
    fields=${OP_SPEC_FIELDS}
    send=${(v) => apiPost('/apis/v1/tasks/operations', { type: 'KILL', sourceAppName, taskId, opSpec: opSpecOf(v) })}
    onDone=${() => toast(`Kill of ${sourceAppName}/${taskId} accepted`)} />`;
}

export function TaskPage({ sourceAppName, taskId }) {
  useTitle(`Task ${sourceAppName}/${taskId}`);
  const session = useSession();
  const [killing, setKilling] = useState(false);
  const task = useResource(() => apiGet(`/apis/v1/tasks/${seg(sourceAppName)}/instances/${seg(taskId)}`), [sourceAppName, taskId], {
    refreshOn: ['TASK_STATE_CHANGE', 'TASK_EVENT'],
    filter: (e) => e.metadata?.APP_NAME === sourceAppName && (e.metadata?.TASK_ID === taskId || e.metadata?.PARENT_TASK_ID === taskId),
  });
  const t = task.data;
  const active = t && ACTIVE_TASK_STATES.has(t.state);
  const isParent = Boolean(t?.subtaskIds?.length);
  return html`
    <${PageHeader} kicker="Task" title=${`${sourceAppName}/${taskId}`}
      actions=${active && session.canOperate ? html`<button type="button" class="button danger" onClick=${() => setKilling(true)}>Kill…</button>` : null}>
      ${t ? html`<p class="subtitle"><${Badge} state=${t.state} />
        ${t.taskResult ? html`<span class="result">result <${Badge} state=${t.taskResult.status} /> exit code <strong>${t.taskResult.exitCode}</strong></span>` : null}
        · updated <${Time} ms=${t.updated} /></p>` : null}
    <//>
    ${killing ? html`<${KillDialog} sourceAppName=${sourceAppName} taskId=${taskId} onClose=${() => setKilling(false)} />` : null}
    <${Loaded} resource=${task} what="the task">
      ${(x) => {
        const { cores, memory } = allocationTotals(x.resources);
        return html`
          <${Section} title="Details">
            <${Facts} items=${[
              ['Instance id', html`<code>${x.instanceId}</code>`],
              ['Executor', x.executorId ? html`<a href=${`/executors/${enc(x.executorId)}`}>${x.hostname || x.executorId}</a>`
                : html`<span class="muted">${x.subtaskIds?.length ? 'none: a fan-out parent runs on its subtasks' : 'not placed'}</span>`],
              ['Executable', x.executable ? html`<code>${x.executable.type} ${x.executable.url ?? x.executable.command ?? ''}</code>` : null],
              ['Resources', x.resources ? `${plural(cores, 'core')}, ${megabytes(memory)}` : null],
              ['Result', x.taskResult ? html`<${Badge} state=${x.taskResult.status} /> exit code ${x.taskResult.exitCode}` : null],
              ['Error', x.errorMessage ? html`<span class="error-text">${x.errorMessage}</span>` : null],
              x.parentTaskId && ['Parent task', html`<a href=${`/tasks/${enc(x.sourceAppName)}/${enc(x.parentTaskId)}`}>${x.parentTaskId}</a>`],
              ['Created by', x.createdBy], x.terminatedBy && ['Ended by', x.terminatedBy],
              ['Created', html`<${Time} ms=${x.created} />`],
              ['Environment', x.env && Object.keys(x.env).length ? Object.entries(x.env).map(([k, v]) => html`<div><code>${k}=${v}</code></div>`) : null],
            ]} />
          <//>
          ${x.result ? html`<${Section} title="Aggregated result" id="task-result"><${DrydockResult} result=${x.result} /><//>` : null}
          ${x.subtaskIds?.length ? html`<${Section} title=${`Subtasks (${x.subtaskIds.length})`} id="task-subtasks">
            <${Subtasks} sourceAppName=${x.sourceAppName} ids=${x.subtaskIds} /><//>` : null}
          <${Section} title="State history" id="task-history"><${WorkloadHistory} events=${x.events} /><//>
          <${Section} title="Volumes and logging">
            ${x.volumes?.length ? html`<${Json} value=${x.volumes} label="Volumes" />` : html`<p class="muted">No volumes.</p>`}
            ${x.loggingSpec ? html`<${Json} value=${x.loggingSpec} label="Logging" />` : null}
          <//>`;
      }}
    <//>
    ${isParent ? null : html`<${Section} title="Log" id="task-log">
      ${session.canReadLogs
        ? html`<${LogTail} base=${`/apis/v1/logfiles/tasks/${seg(sourceAppName)}/${seg(taskId)}`} label=${`Log of task ${sourceAppName}/${taskId}`} refreshKey=${t?.state} />`
        : html`<${Empty} title="Your role may not read logs" />`}
    <//>`}`;
}
