// One application (`/apps/:appId`): summary, instances (state, host:ports, health), old
// instances, the spec as the API serves it (secrets masked), its operations, and its controls.
import { useState } from 'preact/hooks';
import { apiGet, query, seg } from '../api.js';
import { allocationTotals, hostPorts, megabytes, plural } from '../format.js';
import { html } from '../html.js';
import { useResource, useTitle } from '../hooks.js';
import { useSession } from '../session.js';
import { Badge, Empty, Facts, Json, Loaded, PageHeader, Section, TableWrap, Time } from '../ui.js';
import { AppActions } from './app-actions.js';
import { OperationTable } from './operation-table.js';

const enc = encodeURIComponent;

function InstanceTable({ appId, instances, selectable, selected, onToggle, label }) {
  return html`<${TableWrap} label=${label}><table>
    <thead><tr>
      ${selectable ? html`<th scope="col"><span class="visually-hidden">Select</span></th>` : null}
      <th scope="col">Instance</th><th scope="col">State</th><th scope="col">Host:ports</th><th scope="col">Resources</th>
      <th scope="col">Error</th><th scope="col">Created</th><th scope="col">Updated</th></tr></thead>
    <tbody>${instances.map((i) => {
      const { cores, memory } = allocationTotals(i.resources);
      return html`<tr key=${i.instanceId} class=${selected?.has(i.instanceId) ? 'selected' : ''}>
        ${selectable ? html`<td><input type="checkbox" aria-label=${`Select instance ${i.instanceId}`} checked=${selected.has(i.instanceId)}
          onChange=${() => onToggle(i.instanceId)} /></td>` : null}
        <td><a href=${`/apps/${enc(appId)}/instances/${enc(i.instanceId)}`}><code>${i.instanceId}</code></a></td>
        <td><${Badge} state=${i.state} /></td>
        <td>${hostPorts(i).length ? hostPorts(i).map((p) => html`<div><code>${p.text}</code> <span class="muted">${p.name}</span></div>`) : html`<span class="muted">not placed</span>`}</td>
        <td>${i.resources ? `${plural(cores, 'core')}, ${megabytes(memory)}` : '—'}</td>
        <td class="error-text">${i.errorMessage}</td>
        <td><${Time} ms=${i.created} /></td><td><${Time} ms=${i.updated} /></td></tr>`;
    })}</tbody></table><//>`;
}

export function AppPage({ appId }) {
  useTitle(appId);
  const session = useSession();
  const [selected, setSelected] = useState(new Set());
  const mine = (event) => event.metadata?.APP_ID === appId;
  const live = useResource(async () => {
    const [summary, instances] = await Promise.all([
      apiGet(`/apis/v1/applications/${seg(appId)}`),
      apiGet(`/apis/v1/applications/${seg(appId)}/instances`),
    ]);
    return { summary, instances };
  }, [appId], { refreshOn: ['APP_STATE_CHANGE', 'INSTANCE_STATE_CHANGE'], filter: mine });
  const old = useResource(() => apiGet(`/apis/v1/applications/${seg(appId)}/instances/old?size=50`), [appId],
    { refreshOn: ['INSTANCE_STATE_CHANGE'], filter: mine });
  const operations = useResource(() => apiGet(`/apis/v1/operations${query({ appId, size: 25 })}`), [appId],
    { refreshOn: ['OPERATION_STATE_CHANGE', 'INSTANCE_STATE_CHANGE'], filter: mine });
  const spec = useResource(() => apiGet(`/apis/v1/applications/${seg(appId)}/spec`), [appId]);

  const toggle = (id) => setSelected((s) => {
    const next = new Set(s);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });
  const summary = live.data?.summary;
  // Selections of instances that are gone are dropped, so an action never names a stale id.
  const liveIds = new Set(live.data?.instances.map((i) => i.instanceId) ?? []);
  const chosen = new Set([...selected].filter((id) => liveIds.has(id)));

  return html`
    <${PageHeader} kicker="Application" title=${appId}>
      ${summary ? html`<p class="subtitle"><${Badge} state=${summary.state} />
        <span class="health-count">${summary.healthyInstances} healthy of ${summary.requiredInstances} expected</span>
        · updated <${Time} ms=${summary.updated} /></p>` : null}
    <//>
    ${summary && session.canOperate ? html`<${Section} title="Operations on this app" id="app-controls">
      <${AppActions} appId=${appId} summary=${summary} selected=${chosen} /><//>` : null}
    <${Loaded} resource=${live} what="the application">
      ${({ summary: s, instances }) => html`
        <${Section} title="Summary">
          <${Facts} items=${[
            ['Name', s.name], ['Expected instances', s.requiredInstances], ['Healthy instances', s.healthyInstances],
            ['Cores (total)', s.totalCPUs], ['Memory (total)', megabytes(s.totalMemory)],
            ['Tags', Object.keys(s.tags ?? {}).length ? Object.entries(s.tags).map(([k, v]) => html`<span class="tag">${k}=${v}</span>`) : null],
            ['Created', html`<${Time} ms=${s.created} />`],
          ]} />
        <//>
        <${Section} title=${`Instances (${instances.length})`} id="app-instances">
          ${instances.length === 0
            ? html`<${Empty} title="No active instances">${s.requiredInstances === 0 ? 'The app expects none. Scale it to start some.' : 'Instances are being started.'}<//>`
            : html`<${InstanceTable} appId=${appId} instances=${instances} label="Active instances" selectable=${session.canOperate}
                selected=${chosen} onToggle=${toggle} />`}
        <//>`}
    <//>
    <${Section} title="Operations" id="app-operations">
      <${Loaded} resource=${operations} what="operations" empty=${html`<${Empty} title="No operations recorded for this app" />`}>
        ${(list) => html`<${OperationTable} operations=${list} label="Operations of this application" hideTarget />`}
      <//>
    <//>
    <${Section} title="Old instances" id="app-old-instances">
      <${Loaded} resource=${old} what="old instances" empty=${html`<${Empty} title="No old instances">Stopped and lost instances are kept here for a while.<//>`}>
        ${(list) => html`<${InstanceTable} appId=${appId} instances=${list} label="Old instances" />`}
      <//>
    <//>
    <${Section} title="Spec" id="app-spec">
      <p class="muted">As the API serves it: config contents and credentials are masked.</p>
      <${Loaded} resource=${spec} what="the spec">${(value) => html`<${Json} value=${value} label="Application spec" />`}<//>
    <//>`;
}
