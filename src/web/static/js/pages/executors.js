// Executors (`/executors`, `/executors/:executorId`): list, details with instances, tasks,
// tags/labels/rack and the core map; blacklist and unblacklist (role MAINT).
import { useState } from 'preact/hooks';
import { apiGet, apiPost, seg } from '../api.js';
import { allocationTotals, hostPorts, megabytes, plural } from '../format.js';
import { ActionDialog } from '../forms.js';
import { html } from '../html.js';
import { useResource, useTitle } from '../hooks.js';
import { useSession } from '../session.js';
import { Badge, Empty, Facts, Loaded, Meter, PageHeader, Section, TableWrap, Time, toast } from '../ui.js';
import { CoreMap } from './core-map.js';

const EXECUTOR_EVENTS = [
  'EXECUTOR_ADDED', 'EXECUTOR_REMOVED', 'EXECUTOR_LOST', 'EXECUTOR_RECONNECTED', 'EXECUTOR_BLACKLIST_REQUESTED',
  'EXECUTOR_BLACKLISTED', 'EXECUTOR_UN_BLACKLISTED',
];
const WORKLOAD_EVENTS = ['INSTANCE_STATE_CHANGE', 'TASK_STATE_CHANGE', 'LOCAL_SERVICE_INSTANCE_STATE_CHANGE'];
const enc = encodeURIComponent;

export function ExecutorListPage() {
  useTitle('Executors');
  const executors = useResource(() => apiGet('/apis/v1/cluster/executors'), [], { refreshOn: [...EXECUTOR_EVENTS, ...WORKLOAD_EVENTS] });
  return html`
    <${PageHeader} title="Executors" />
    <${Section} title="All executors">
      <${Loaded} resource=${executors} what="executors" empty=${html`<${Empty} title="No executors">
        No executor has connected. Start one with <code>corral executor --controller URL --secret S</code>.<//>`}>
        ${(list) => html`<${TableWrap} label="Executors"><table>
          <thead><tr><th scope="col">Host</th><th scope="col">State</th><th scope="col">Cores</th><th scope="col">Memory</th><th scope="col">Tags</th></tr></thead>
          <tbody>${list.map((e) => html`<tr key=${e.executorId}>
            <td><a href=${`/executors/${enc(e.executorId)}`}>${e.hostname}:${e.port}</a><div class="muted small" title=${e.executorId}>${e.executorId}</div></td>
            <td><${Badge} state=${e.state} /></td>
            <td class="meter-cell"><${Meter} label="Cores" used=${e.usedCores} total=${e.usedCores + e.freeCores} /></td>
            <td class="meter-cell"><${Meter} label="Memory" used=${e.usedMemory} total=${e.usedMemory + e.freeMemory} format=${megabytes} /></td>
            <td>${e.tags.filter((t) => t !== e.hostname).map((t) => html`<span class="tag">${t}</span>`)}</td>
          </tr>`)}</tbody></table><//>`}
      <//>
    <//>`;
}

function BlacklistControl({ executorId, details, onChanged }) {
  const [dialog, setDialog] = useState();
  const blacklisted = details.blacklisted;
  const action = blacklisted ? 'unblacklist' : 'blacklist';
  const send = async () => {
    const result = await apiPost(`/apis/v1/cluster/executors/${seg(executorId)}/${action}`);
    toast(result.message ?? `${action} sent`, result.failed?.length ? 'warn' : 'ok');
    onChanged();
    return result;
  };
  return html`
    <button type="button" class=${blacklisted ? 'button' : 'button danger'} onClick=${() => setDialog(true)}>
      ${blacklisted ? 'Unblacklist…' : 'Blacklist…'}</button>
    ${dialog ? html`<${ActionDialog} title=${blacklisted ? 'Unblacklist executor' : 'Blacklist executor'} submitLabel=${blacklisted ? 'Unblacklist' : 'Blacklist'}
      danger=${!blacklisted} send=${send} onClose=${() => setDialog(false)}
      intro=${blacklisted
        ? html`<p>Executor <strong>${details.hostname}</strong> will accept new placements again.</p>`
        : html`<p>Executor <strong>${details.hostname}</strong> will get no new placements and its ${details.instances.length} app
            instance(s) will be moved to other executors. Tasks running there run to completion.</p>`} />` : null}`;
}

function InstanceRows({ instances }) {
  if (instances.length === 0) return html`<${Empty} title="No app instances on this executor" />`;
  return html`<${TableWrap} label="Instances on this executor"><table>
    <thead><tr><th scope="col">Instance</th><th scope="col">App</th><th scope="col">State</th><th scope="col">Ports</th><th scope="col">Resources</th><th scope="col">Updated</th></tr></thead>
    <tbody>${instances.map((i) => {
      const { cores, memory } = allocationTotals(i.resources);
      return html`<tr key=${i.instanceId}>
        <td><a href=${`/apps/${enc(i.appId)}/instances/${enc(i.instanceId)}`}><code>${i.instanceId}</code></a></td>
        <td><a href=${`/apps/${enc(i.appId)}`}>${i.appId}</a></td>
        <td><${Badge} state=${i.state} /></td>
        <td>${hostPorts(i).map((p) => html`<div><code>${p.text}</code></div>`)}</td>
        <td>${plural(cores, 'core')}, ${megabytes(memory)}</td>
        <td><${Time} ms=${i.updated} /></td></tr>`;
    })}</tbody></table><//>`;
}

function TaskRows({ tasks }) {
  if (tasks.length === 0) return html`<${Empty} title="No tasks on this executor" />`;
  return html`<${TableWrap} label="Tasks on this executor"><table>
    <thead><tr><th scope="col">Task</th><th scope="col">State</th><th scope="col">Resources</th><th scope="col">Updated</th></tr></thead>
    <tbody>${tasks.map((t) => {
      const { cores, memory } = allocationTotals(t.resources);
      return html`<tr key=${t.instanceId}>
        <td><a href=${`/tasks/${enc(t.sourceAppName)}/${enc(t.taskId)}`}>${t.sourceAppName}/${t.taskId}</a></td>
        <td><${Badge} state=${t.state} /></td><td>${plural(cores, 'core')}, ${megabytes(memory)}</td><td><${Time} ms=${t.updated} /></td></tr>`;
    })}</tbody></table><//>`;
}

const pairs = (map) => Object.entries(map ?? {}).map(([k, v]) => html`<span class="tag">${k}=${v}</span>`);

export function ExecutorPage({ executorId }) {
  const session = useSession();
  useTitle(`Executor ${executorId}`);
  const details = useResource(() => apiGet(`/apis/v1/cluster/executors/${seg(executorId)}`), [executorId], {
    refreshOn: [...EXECUTOR_EVENTS, ...WORKLOAD_EVENTS],
    filter: (event) => !event.metadata?.EXECUTOR_ID || event.metadata.EXECUTOR_ID === executorId,
  });
  const d = details.data;
  return html`
    <${PageHeader} kicker="Executor" title=${d ? `${d.name ?? d.hostname}` : executorId}
      actions=${d && session.canMaintain ? html`<${BlacklistControl} executorId=${executorId} details=${d} onChanged=${details.refresh} />` : null}>
      ${d ? html`<p class="subtitle"><${Badge} state=${d.executorState} /> ${d.connected === false ? html`<${Badge} state="DISCONNECTED" />` : null}
        <code>${d.hostname}:${d.port}</code> · updated <${Time} ms=${d.updated} /></p>` : null}
    <//>
    <${Loaded} resource=${details} what="the executor">
      ${(x) => {
        const cores = (list) => Object.values(list ?? {}).reduce((n, l) => n + l.length, 0);
        const usedCores = cores(x.state.cpus.usedCores);
        const total = usedCores + cores(x.state.cpus.freeCores);
        const usedMem = Object.values(x.state.memory.usedMemory).reduce((a, b) => a + b, 0);
        const totalMem = usedMem + Object.values(x.state.memory.freeMemory).reduce((a, b) => a + b, 0);
        return html`
          <div class="grid two">
            <${Section} title="Details">
              <${Facts} items=${[
                ['Executor id', html`<code>${executorId}</code>`],
                ['Name', x.name],
                ['Drivers', x.drivers?.join(', ')],
                ['Tags', x.tags.length ? x.tags.map((t) => html`<span class="tag">${t}</span>`) : null],
                ['Labels', Object.keys(x.labels ?? {}).length ? pairs(x.labels) : null],
                ['Rack', x.rack],
                ['Rack labels', Object.keys(x.rackLabels ?? {}).length ? pairs(x.rackLabels) : null],
                ['Metadata', Object.keys(x.metadata ?? {}).length ? pairs(x.metadata) : null],
              ]} />
            <//>
            <${Section} title="Resources">
              <${Meter} label="Cores" used=${usedCores} total=${total} />
              <${Meter} label="Memory" used=${usedMem} total=${totalMem} format=${megabytes} />
            <//>
          </div>
          <${Section} title="Core map"><${CoreMap} details=${x} /><//>
          <${Section} title=${`Instances (${x.instances.length})`} id="executor-instances"><${InstanceRows} instances=${x.instances} /><//>
          <${Section} title=${`Tasks (${x.tasks.length})`} id="executor-tasks"><${TaskRows} tasks=${x.tasks} /><//>
          ${x.serviceInstances?.length ? html`<${Section} title="Local service instances">
            <ul class="plain">${x.serviceInstances.map((s) => html`<li><a href=${`/local-services/${enc(s.serviceId)}`}>${s.serviceId}</a> <code>${s.instanceId}</code> <${Badge} state=${s.state} /></li>`)}</ul><//>` : null}`;
      }}
    <//>`;
}
