// One operation (`/operations/:operationId`): state, progress, who and when, its message history,
// its result, and abort while it is active.
import { useState } from 'preact/hooks';
import { apiGet, seg } from '../api.js';
import { targetHref, targetLabel } from '../format.js';
import { html } from '../html.js';
import { useResource, useTitle } from '../hooks.js';
import { useSession } from '../session.js';
import { ACTIVE_OPERATION_STATES } from '../states.js';
import { Badge, Empty, Facts, Json, Loaded, PageHeader, Progress, Section, Time, toast } from '../ui.js';
import { AbortDialog } from './operations.js';
import { DrydockResult } from './drydock-result.js';

export function OperationPage({ operationId }) {
  useTitle(`Operation ${operationId}`);
  const session = useSession();
  const [aborting, setAborting] = useState(false);
  const operation = useResource(() => apiGet(`/apis/v1/operations/${seg(operationId)}`), [operationId], {
    refreshOn: ['OPERATION_STATE_CHANGE', 'INSTANCE_STATE_CHANGE', 'TASK_STATE_CHANGE'],
    filter: (event) => event.type !== 'OPERATION_STATE_CHANGE' || event.metadata?.OPERATION_ID === operationId,
  });
  const op = operation.data;
  const active = op && ACTIVE_OPERATION_STATES.has(op.state);
  return html`
    <${PageHeader} kicker="Operation" title=${op ? `${op.type} of ${targetLabel(op.target)}` : operationId}
      actions=${active && session.canOperate ? html`<button type="button" class="button danger" onClick=${() => setAborting(true)}>Abort…</button>` : null}>
      ${op ? html`<p class="subtitle"><${Badge} state=${op.state} /> <code>${operationId}</code></p>` : null}
    <//>
    ${aborting && op ? html`<${AbortDialog} ids=${[operationId]} operations=${[op]} onClose=${() => setAborting(false)}
      onResults=${(results) => {
        const r = results[0];
        toast(r?.aborted ? 'Abort accepted' : `Abort refused: ${r?.reason ?? 'no answer'}`, r?.aborted ? 'ok' : 'warn');
        operation.refresh();
      }} />` : null}
    <${Loaded} resource=${operation} what="the operation">
      ${(o) => html`
        <${Section} title="Progress"><${Progress} progress=${o.progress} state=${o.state} /><//>
        <${Section} title="Details">
          <${Facts} items=${[
            ['Type', o.type],
            ['Target', targetHref(o.target) ? html`<a href=${targetHref(o.target)}>${targetLabel(o.target)}</a>` : targetLabel(o.target)],
            ['Started by', o.createdBy],
            ['Created', html`<${Time} ms=${o.created} />`],
            ['Updated', html`<${Time} ms=${o.updated} />`],
            o.finished && ['Finished', html`<${Time} ms=${o.finished} />`],
            o.abortedBy && ['Aborted by', `${o.abortedBy} (${o.abortMode})`],
            o.abortedAt && ['Aborted', html`<${Time} ms=${o.abortedAt} />`],
            o.abortDeadline && ['Abort deadline', html`<${Time} ms=${o.abortDeadline} />`],
            ['Op spec', o.opSpec ? `timeout ${o.opSpec.timeout}, parallelism ${o.opSpec.parallelism}, ${o.opSpec.failureStrategy}` : null],
          ]} />
        <//>
        <${Section} title="Messages" id="operation-messages">
          ${o.messages?.length ? html`<ol class="history">${o.messages.map((m) => html`<li class=${m.error ? 'error-text' : ''}>
            <${Time} ms=${m.time} /> ${m.error ? html`<span class="visually-hidden">Error: </span>` : null}${m.message}</li>`)}</ol>`
            : html`<${Empty} title="No messages yet" />`}
        <//>
        ${o.result ? html`<${Section} title="Result"><${DrydockResult} result=${o.result} /><//>` : null}
        <${Section} title="Request"><${Json} value=${o.request ?? {}} label="Operation request" /><//>`}
    <//>`;
}
