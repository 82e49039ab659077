// Every application operation as a button and a confirming dialog (docs/api.md §2.3, §2.5). The API
// decides what is allowed in which state; its messages are shown as given.
import { useState } from 'preact/hooks';
import { apiPost, seg } from '../api.js';
import { ActionDialog, OP_SPEC_FIELDS, numberOrText, opSpecOf } from '../forms.js';
import { html } from '../html.js';
import { toast } from '../ui.js';

const OPERATIONS = '/apis/v1/applications/operations';

function submitted(what) {
  return (result) => toast(`${what} accepted${result?.operationId ? ` (${result.operationId})` : ''}`);
}

/** The dialogs, keyed by action name. */
function dialogFor(action, { appId, summary, selected, close }) {
  const ids = [...selected];
  switch (action) {
    case 'scale':
      return html`<${ActionDialog} title="Scale application" submitLabel="Scale" onClose=${close}
        intro=${html`<p><strong>${appId}</strong> has ${summary.healthyInstances} healthy of ${summary.requiredInstances} expected instances.</p>`}
        fields=${[{ name: 'requiredInstances', label: 'Instances wanted', value: String(summary.requiredInstances), inputmode: 'numeric', help: 'Absolute target (0–2048)' }, ...OP_SPEC_FIELDS]}
        send=${(v) => apiPost(OPERATIONS, { type: 'SCALE', appId, requiredInstances: numberOrText(v.requiredInstances), opSpec: opSpecOf(v) })}
        onDone=${submitted('Scale')} />`;
    case 'suspend':
      return html`<${ActionDialog} title="Suspend application" submitLabel="Suspend" danger onClose=${close}
        intro=${html`<p>Every instance of <strong>${appId}</strong> is stopped gracefully; the app stays, with 0 instances expected.</p>`}
        fields=${OP_SPEC_FIELDS} send=${(v) => apiPost(OPERATIONS, { type: 'SUSPEND', appId, opSpec: opSpecOf(v) })} onDone=${submitted('Suspend')} />`;
    case 'replace':
      return html`<${ActionDialog} title="Replace instances" submitLabel="Replace" onClose=${close}
        intro=${html`<p>${ids.length ? `${ids.length} selected instance(s)` : 'Every healthy instance'} of <strong>${appId}</strong> is replaced by a new one
          (a rolling restart).</p>`}
        fields=${[{ name: 'stopFirst', label: 'Stop each old instance before starting its replacement', type: 'checkbox', value: false }, ...OP_SPEC_FIELDS]}
        send=${(v) => apiPost(OPERATIONS, { type: 'REPLACE_INSTANCES', appId, instanceIds: ids, stopFirst: v.stopFirst, opSpec: opSpecOf(v) })}
        onDone=${submitted('Replace')} />`;
    case 'stop':
      return html`<${ActionDialog} title="Stop instances" submitLabel=${`Stop ${ids.length} instance(s)`} danger onClose=${close}
        intro=${html`<p>Stops ${ids.length ? html`<strong>${ids.length}</strong> selected instance(s)` : 'the selected instances (select some in the table first)'}
          of <strong>${appId}</strong>.</p>`}
        fields=${[{ name: 'skipRespawn', label: 'Do not start replacements (lower the expected count)', type: 'checkbox', value: true }, ...OP_SPEC_FIELDS]}
        send=${(v) => apiPost(OPERATIONS, { type: 'STOP_INSTANCES', appId, instanceIds: ids, skipRespawn: v.skipRespawn, opSpec: opSpecOf(v) })}
        onDone=${submitted('Stop instances')} />`;
    case 'destroy':
      return html`<${ActionDialog} title="Destroy application" submitLabel="Destroy" danger onClose=${close}
        intro=${html`<p><strong>${appId}</strong> and the records of all its instances are deleted. Only an app with no instances
          (MONITORING) can be destroyed: suspend it first.</p>`}
        fields=${OP_SPEC_FIELDS} send=${(v) => apiPost(OPERATIONS, { type: 'DESTROY', appId, opSpec: opSpecOf(v) })} onDone=${submitted('Destroy')} />`;
    case 'cancel':
      return html`<${ActionDialog} title="Cancel the current operation" submitLabel="Cancel operation" danger onClose=${close}
        intro=${html`<p>The running operation of <strong>${appId}</strong> is cancelled gracefully: steps in flight finish, no new
          one starts. For a forced stop use the Operations page.</p>`}
        send=${() => apiPost(`${OPERATIONS}/${seg(appId)}/cancel`)} onDone=${() => toast('Cancel accepted')} />`;
    default:
      return null;
  }
}

/** The operation buttons of an app page and the dialog of the one pressed. */
export function AppActions({ appId, summary, selected }) {
  const [action, setAction] = useState();
  const close = () => setAction(undefined);
  const button = (name, label, kind = 'button') => html`<button type="button" class=${kind} onClick=${() => setAction(name)}>${label}</button>`;
  return html`<div class="button-row">
      ${button('scale', 'Scale…', 'button primary')}
      ${button('suspend', 'Suspend…')}
      ${button('replace', selected.size ? `Replace ${selected.size} selected…` : 'Replace all…')}
      ${button('stop', selected.size ? `Stop ${selected.size} selected…` : 'Stop instances…')}
      ${button('cancel', 'Cancel operation…')}
      ${button('destroy', 'Destroy…', 'button danger')}
    </div>
    ${action ? dialogFor(action, { appId, summary, selected, close }) : null}`;
}
