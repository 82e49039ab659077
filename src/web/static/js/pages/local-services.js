// Local services (`/local-services`, `/local-services/:serviceId`; docs/localservices.md): the
// list, and one service with its instances per executor, operations, old instances, spec and
// controls. The API decides what each state allows; its messages are shown as given.
import { useState } from 'preact/hooks';
import { apiGet, apiGetOptional, apiPost, seg } from '../api.js';
import { ActionDialog, OP_SPEC_FIELDS, numberOrText, opSpecOf } from '../forms.js';
import { allocationTotals, hostPorts, megabytes, plural } from '../format.js';
import { html } from '../html.js';
import { useResource, useTitle } from '../hooks.js';
import { useSession } from '../session.js';
import { Badge, Empty, Facts, Json, Loaded, PageHeader, Section, TableWrap, Time, toast } from '../ui.js';
import { OperationTable } from './operation-table.js';

const LIVE = ['LOCAL_SERVICE_STATE_CHANGE', 'LOCAL_SERVICE_INSTANCE_STATE_CHANGE'];
const OPERATIONS = '/apis/v1/localservices/operations';
const enc = encodeURIComponent;

const NotAvailable = () => html`<${Empty} title="Local services are not available on this controller">
  This controller does not serve the local-service API (<code>/apis/v1/localservices</code> answers 404).<//>`;

export function LocalServiceListPage() {
  useTitle('Local services');
  const { features } = useSession();
  const services = useResource(async () => {
    const map = features?.localServices ? await apiGetOptional('/apis/v1/localservices') : undefined;
    return map === undefined ? { available: false } : { available: true, list: Object.values(map ?? {}) };
  }, [], { refreshOn: LIVE });
  return html`
    <${PageHeader} title="Local services" />
    <${Section} title="All local services">
      <${Loaded} resource=${services} what="local services">
        ${({ available, list }) => {
          if (!available) return html`<${NotAvailable} />`;
          if (list.length === 0) return html`<${Empty} title="No local services">None has been created (corral localservices create SPEC -n N).<//>`;
          return html`<${TableWrap} label="Local services"><table>
            <thead><tr><th scope="col">Service</th><th scope="col">State</th><th scope="col">Activation</th><th scope="col">Healthy</th><th scope="col">Per host</th><th scope="col">Memory</th><th scope="col">Updated</th></tr></thead>
            <tbody>${list.map((s) => html`<tr key=${s.id}><td><a href=${`/local-services/${enc(s.id)}`}>${s.id}</a></td>
              <td><${Badge} state=${s.state} /></td><td><${Badge} state=${s.activationState} /></td><td>${s.healthyInstances}</td>
              <td>${s.instancesPerHost}</td><td>${megabytes(s.totalMemory)}</td><td><${Time} ms=${s.updated} /></td></tr>`)}</tbody></table><//>`;
        }}
      <//>
    <//>`;
}

function InstanceTable({ instances, label }) {
  return html`<${TableWrap} label=${label}><table>
    <thead><tr><th scope="col">Instance</th><th scope="col">State</th><th scope="col">Executor</th><th scope="col">Host:ports</th>
      <th scope="col">Resources</th><th scope="col">Error</th><th scope="col">Updated</th></tr></thead>
    <tbody>${instances.map((i) => {
      const { cores, memory } = allocationTotals(i.resources);
      return html`<tr key=${i.instanceId}>
        <td><code>${i.instanceId}</code></td><td><${Badge} state=${i.state} /></td>
        <td>${i.executorId ? html`<a href=${`/executors/${enc(i.executorId)}`}><code>${i.executorId.slice(0, 8)}</code></a>` : '—'}</td>
        <td>${hostPorts(i).length ? hostPorts(i).map((p) => html`<div><code>${p.text}</code> <span class="muted">${p.name}</span></div>`) : html`<span class="muted">not placed</span>`}</td>
        <td>${i.resources ? `${plural(cores, 'core')}, ${megabytes(memory)}` : '—'}</td>
        <td class="error-text">${i.errorMessage}</td><td><${Time} ms=${i.updated} /></td></tr>`;
    })}</tbody></table><//>`;
}

function submitted(what) {
  return (result) => toast(`${what} accepted${result?.operationId ? ` (${result.operationId})` : ''}`);
}

function dialogFor(action, { serviceId, summary, close }) {
  const plain = (title, type, intro, danger = false) => html`<${ActionDialog} title=${title} submitLabel=${title} danger=${danger} onClose=${close}
    intro=${intro} send=${() => apiPost(OPERATIONS, { type, serviceId })} onDone=${submitted(title)} />`;
  switch (action) {
    case 'activate':
      return plain('Activate', 'ACTIVATE', html`<p><strong>${serviceId}</strong> runs ${summary.instancesPerHost} instance(s) on every executor.</p>`);
    case 'test':
      return plain('Deploy a test instance', 'DEPLOY_TEST_INSTANCE', html`<p>One instance of <strong>${serviceId}</strong> runs in the cluster (CONFIG_TESTING).</p>`);
    case 'deactivate':
      return plain('Deactivate', 'DEACTIVATE', html`<p>Every instance of <strong>${serviceId}</strong> is stopped.</p>`, true);
    case 'count':
      return html`<${ActionDialog} title="Instances per host" submitLabel="Update" onClose=${close}
        intro=${html`<p><strong>${serviceId}</strong> runs ${summary.instancesPerHost} instance(s) per executor when active.</p>`}
        fields=${[{ name: 'instancesPerHost', label: 'Instances per executor', value: String(summary.instancesPerHost), inputmode: 'numeric', help: '1–256' }]}
        send=${(v) => apiPost(OPERATIONS, { type: 'UPDATE_INSTANCE_COUNT', serviceId, instancesPerHost: numberOrText(v.instancesPerHost) })}
        onDone=${submitted('Update')} />`;
    case 'restart':
      return html`<${ActionDialog} title="Restart" submitLabel="Restart" onClose=${close}
        intro=${html`<p>Every healthy instance of <strong>${serviceId}</strong> is replaced on its own executor.</p>`}
        fields=${[{ name: 'stopFirst', label: 'Stop each old instance before starting its replacement', type: 'checkbox', value: false }, ...OP_SPEC_FIELDS]}
        send=${(v) => apiPost(OPERATIONS, { type: 'RESTART', serviceId, stopFirst: v.stopFirst, clusterOpSpec: opSpecOf(v) })}
        onDone=${submitted('Restart')} />`;
    case 'cancel':
      return html`<${ActionDialog} title="Cancel the current operation" submitLabel="Cancel operation" danger onClose=${close}
        intro=${html`<p>Stops adjusting or replacing the instances of <strong>${serviceId}</strong>. A cancelled adjustment of an active
          service deactivates it (every instance stopped).</p>`}
        send=${() => apiPost(`${OPERATIONS}/${seg(serviceId)}/cancel`)} onDone=${() => toast('Cancel accepted')} />`;
    case 'destroy':
      return plain('Destroy', 'DESTROY', html`<p><strong>${serviceId}</strong> and its instance records are deleted. Deactivate it first.</p>`, true);
    default:
      return null;
  }
}

function Actions({ serviceId, summary }) {
  const [action, setAction] = useState();
  const close = () => setAction(undefined);
  const button = (name, label, kind = 'button') => html`<button type="button" class=${kind} onClick=${() => setAction(name)}>${label}</button>`;
  return html`<div class="button-row">
      ${button('activate', 'Activate…', 'button primary')}
      ${button('test', 'Test instance…')}
      ${button('count', 'Instances per host…')}
      ${button('restart', 'Restart…')}
      ${button('deactivate', 'Deactivate…')}
      ${button('cancel', 'Cancel operation…')}
      ${button('destroy', 'Destroy…', 'button danger')}
    </div>
    ${action ? dialogFor(action, { serviceId, summary, close }) : null}`;
}

export function LocalServicePage({ serviceId }) {
  useTitle(`Local service ${serviceId}`);
  const session = useSession();
  const mine = (event) => (event.metadata?.LOCAL_SERVICE_ID ?? event.metadata?.SERVICE_ID) === serviceId;
  const service = useResource(async () => {
    const summary = session.features?.localServices ? await apiGetOptional(`/apis/v1/localservices/${seg(serviceId)}`) : undefined;
    if (summary === undefined) return { available: false };
    const instances = await apiGetOptional(`/apis/v1/localservices/${seg(serviceId)}/instances`);
    return { available: true, summary, instances: instances ?? [] };
  }, [serviceId], { refreshOn: LIVE, filter: mine });
  const old = useResource(() => apiGet(`/apis/v1/localservices/${seg(serviceId)}/instances/old`), [serviceId],
    { refreshOn: ['LOCAL_SERVICE_INSTANCE_STATE_CHANGE'], filter: mine });
  // The operations list filters by appId only: this service's are picked from the newest ones.
  const operations = useResource(async () => (await apiGet('/apis/v1/operations?size=500')).filter((op) => op.serviceId === serviceId).slice(0, 25),
    [serviceId], { refreshOn: ['OPERATION_STATE_CHANGE'], filter: mine });
  const spec = useResource(() => apiGetOptional(`/apis/v1/localservices/${seg(serviceId)}/spec`), [serviceId]);
  const summary = service.data?.summary;
  return html`
    <${PageHeader} kicker="Local service" title=${serviceId}>
      ${summary ? html`<p class="subtitle"><${Badge} state=${summary.state} />
        <span class="health-count">${summary.healthyInstances} healthy, ${summary.instancesPerHost} per executor</span>
        · updated <${Time} ms=${summary.updated} /></p>` : null}
    <//>
    ${summary && session.canOperate ? html`<${Section} title="Operations on this service" id="service-controls">
      <${Actions} serviceId=${serviceId} summary=${summary} /><//>` : null}
    <${Loaded} resource=${service} what="the local service">
      ${({ available, summary: s, instances }) => !available ? html`<${NotAvailable} />` : html`
        <${Section} title="Summary"><${Facts} items=${[
          ['Name', s.name], ['State', html`<${Badge} state=${s.state} />`], ['Activation', html`<${Badge} state=${s.activationState} />`],
          ['Instances per executor', s.instancesPerHost], ['Healthy instances', s.healthyInstances],
          ['Cores (total)', s.totalCPUs], ['Memory (total)', megabytes(s.totalMemory)],
          ['Tags', Object.keys(s.tags ?? {}).length ? Object.entries(s.tags).map(([k, v]) => html`<span class="tag">${k}=${v}</span>`) : null],
          ['Created', html`<${Time} ms=${s.created} />`],
        ]} /><//>
        <${Section} title=${`Instances (${instances.length})`} id="service-instances">
          ${instances.length ? html`<${InstanceTable} instances=${instances} label="Active instances" />`
            : html`<${Empty} title="No active instances">${s.activationState === 'INACTIVE' ? 'The service is inactive: activate it to run it on every executor.' : 'Instances are being started.'}<//>`}
        <//>`}
    <//>
    <${Section} title="Operations" id="service-operations">
      <${Loaded} resource=${operations} what="operations" empty=${html`<${Empty} title="No operations recorded for this service" />`}>
        ${(list) => html`<${OperationTable} operations=${list} label="Operations of this local service" hideTarget />`}
      <//>
    <//>
    <${Section} title="Old instances" id="service-old-instances">
      <${Loaded} resource=${old} what="old instances" empty=${html`<${Empty} title="No old instances">Stopped and lost instances are kept here for a while.<//>`}>
        ${(list) => html`<${InstanceTable} instances=${list} label="Old instances" />`}
      <//>
    <//>
    <${Section} title="Spec" id="service-spec">
      <p class="muted">As the API serves it: config contents and credentials are masked.</p>
      <${Loaded} resource=${spec} what="the spec">${(value) => html`<${Json} value=${value} label="Local-service spec" />`}<//>
    <//>`;
}
