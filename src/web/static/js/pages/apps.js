// Applications (`/apps`): every app with its state and healthy/expected count; create one from a
// pasted spec (role RW).
import { useState } from 'preact/hooks';
import { apiGet, apiPost } from '../api.js';
import { megabytes } from '../format.js';
import { ActionDialog, OP_SPEC_FIELDS, numberOrText, opSpecOf, parseJsonField } from '../forms.js';
import { html } from '../html.js';
import { useResource, useTitle } from '../hooks.js';
import { navigate } from '../router.js';
import { useSession } from '../session.js';
import { Badge, Empty, Loaded, PageHeader, Section, TableWrap, Time, toast } from '../ui.js';

const APP_EVENTS = ['APP_STATE_CHANGE', 'INSTANCE_STATE_CHANGE'];

const EXAMPLE_SPEC = JSON.stringify({
  name: 'web', version: '1', type: 'SERVICE',
  executable: { type: 'PROCESS', command: '/bin/sh' },
  args: ['-c', 'exec python3 -m http.server "$PORT_8000"'],
  exposedPorts: [{ name: 'main', port: 8000, type: 'HTTP' }],
  resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 128 }],
  healthcheck: { mode: { type: 'HTTP', portName: 'main', path: '/', verb: 'GET', successCodes: [200] }, timeout: '1 second', interval: '2 seconds', attempts: 3 },
  readiness: { mode: { type: 'HTTP', portName: 'main', path: '/', verb: 'GET', successCodes: [200] }, timeout: '1 second', interval: '1 second', attempts: 10 },
}, null, 2);

export function CreateAppDialog({ onClose }) {
  return html`<${ActionDialog} title="Create an application" submitLabel="Create" wide onClose=${onClose}
    intro=${html`<p>Paste an ApplicationSpec (the same JSON <code>corral apps create</code> takes). The example runs a Python web
      server as a PROCESS app.</p>`}
    fields=${[
      { name: 'spec', label: 'Application spec (JSON)', type: 'textarea', value: EXAMPLE_SPEC, rows: 16, paths: ['spec'] },
      { name: 'instances', label: 'Instances to start', value: '0', inputmode: 'numeric', help: 'Started at once after the create (0–2048)', paths: ['instances'] },
      ...OP_SPEC_FIELDS,
    ]}
    send=${async (values) => {
      const spec = parseJsonField(values.spec, 'spec', 'spec');
      const body = { type: 'CREATE', spec, instances: numberOrText(values.instances), opSpec: opSpecOf(values) };
      return apiPost('/apis/v1/applications/operations', body);
    }}
    onDone=${(result) => {
      toast(`Application ${result.appId} created`);
      navigate(`/apps/${encodeURIComponent(result.appId)}`);
    }} />`;
}

export function AppListPage() {
  useTitle('Applications');
  const session = useSession();
  const [creating, setCreating] = useState(false);
  const [filter, setFilter] = useState('');
  const apps = useResource(async () => Object.values(await apiGet('/apis/v1/applications')), [], { refreshOn: APP_EVENTS });
  return html`
    <${PageHeader} title="Applications"
      actions=${session.canOperate ? html`<button type="button" class="button primary" onClick=${() => setCreating(true)}>Create application…</button>` : null} />
    ${creating ? html`<${CreateAppDialog} onClose=${() => setCreating(false)} />` : null}
    <${Section} title="All applications" actions=${html`<label class="inline-field">Filter <input type="search" value=${filter} placeholder="name or state"
        onInput=${(e) => setFilter(e.currentTarget.value)} /></label>`}>
      <${Loaded} resource=${apps} what="applications" empty=${html`<${Empty} title="No applications yet">
        ${session.canOperate ? 'Create one with “Create application…”, or with corral apps create.' : 'Applications appear here once someone creates one.'}<//>`}>
        ${(list) => {
          const needle = filter.trim().toLowerCase();
          const shown = list.filter((a) => !needle || a.id.toLowerCase().includes(needle) || a.state.toLowerCase().includes(needle));
          if (shown.length === 0) return html`<${Empty} title="No application matches the filter" />`;
          return html`<${TableWrap} label="Applications"><table>
            <thead><tr><th scope="col">Application</th><th scope="col">State</th><th scope="col">Healthy / expected</th><th scope="col">Cores</th><th scope="col">Memory</th><th scope="col">Updated</th></tr></thead>
            <tbody>${shown.map((a) => html`<tr key=${a.id}>
              <td><a href=${`/apps/${encodeURIComponent(a.id)}`}>${a.id}</a></td>
              <td><${Badge} state=${a.state} /></td>
              <td><span class=${a.healthyInstances < a.requiredInstances ? 'short' : ''}>${a.healthyInstances} / ${a.requiredInstances}</span></td>
              <td>${a.totalCPUs}</td><td>${megabytes(a.totalMemory)}</td><td><${Time} ms=${a.updated} /></td></tr>`)}</tbody>
          </table><//>`;
        }}
      <//>
    <//>`;
}
