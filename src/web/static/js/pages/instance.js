// One application instance (`/apps/:appId/instances/:instanceId`): details, state history (the
// runner's hook events) and a live log tail.
import { apiGet, seg } from '../api.js';
import { allocationTotals, hostPorts, megabytes, plural } from '../format.js';
import { html } from '../html.js';
import { useResource, useTitle } from '../hooks.js';
import { useSession } from '../session.js';
import { Badge, Empty, Facts, Loaded, PageHeader, Section, Time } from '../ui.js';
import { LogTail } from './log-tail.js';
import { WorkloadHistory } from './workload-history.js';

const enc = encodeURIComponent;

export function InstancePage({ appId, instanceId }) {
  useTitle(`Instance ${instanceId}`);
  const session = useSession();
  const instance = useResource(() => apiGet(`/apis/v1/applications/${seg(appId)}/instances/${seg(instanceId)}`), [appId, instanceId], {
    refreshOn: ['INSTANCE_STATE_CHANGE'], filter: (event) => event.metadata?.INSTANCE_ID === instanceId,
  });
  const i = instance.data;
  return html`
    <${PageHeader} kicker=${html`Instance of <a href=${`/apps/${enc(appId)}`}>${appId}</a>`} title=${instanceId}>
      ${i ? html`<p class="subtitle"><${Badge} state=${i.state} /> updated <${Time} ms=${i.updated} /></p>` : null}
    <//>
    <${Loaded} resource=${instance} what="the instance">
      ${(x) => {
        const { cores, memory } = allocationTotals(x.resources);
        const coreIds = (x.resources ?? []).filter((r) => r.type === 'CPU')
          .flatMap((r) => Object.entries(r.cores).map(([numa, ids]) => `node ${numa}: ${ids.join(', ')}`)).join('; ');
        return html`
          <${Section} title="Details">
            <${Facts} items=${[
              ['Application', html`<a href=${`/apps/${enc(x.appId)}`}>${x.appId}</a>`],
              ['Executor', x.executorId ? html`<a href=${`/executors/${enc(x.executorId)}`}>${x.localInfo?.hostname ?? x.executorId}</a>` : null],
              ['Ports', hostPorts(x).length ? hostPorts(x).map((p) => html`<div><code>${p.text}</code> ${p.name} (container ${p.port.containerPort}, ${p.port.portType})</div>`) : null],
              ['Resources', x.resources ? `${plural(cores, 'core')} (${coreIds}), ${megabytes(memory)}` : null],
              ['Error', x.errorMessage ? html`<span class="error-text">${x.errorMessage}</span>` : null],
              ['Created', html`<${Time} ms=${x.created} />`],
              ['Metadata', Object.keys(x.metadata ?? {}).length ? Object.entries(x.metadata).map(([k, v]) => html`<span class="tag">${k}=${v}</span>`) : null],
            ]} />
          <//>
          <${Section} title="State history" id="instance-history"><${WorkloadHistory} events=${x.events} /><//>`;
      }}
    <//>
    <${Section} title="Log" id="instance-log">
      ${session.canReadLogs
        ? html`<${LogTail} base=${`/apis/v1/logfiles/applications/${seg(appId)}/${seg(instanceId)}`} label=${`Log of instance ${instanceId}`} refreshKey=${i?.state} />`
        : html`<${Empty} title="Your role may not read logs" />`}
    <//>`;
}
