// A table of operations (type, target, state, progress, who, when), optionally selectable.
import { targetHref, targetLabel } from '../format.js';
import { html } from '../html.js';
import { ACTIVE_OPERATION_STATES } from '../states.js';
import { Badge, Progress, TableWrap, Time } from '../ui.js';

const enc = encodeURIComponent;

export function OperationTable({ operations, label, selectable = false, selected, onToggle, onToggleAll, hideTarget = false }) {
  const active = operations.filter((op) => ACTIVE_OPERATION_STATES.has(op.state));
  const allChosen = active.length > 0 && active.every((op) => selected?.has(op.operationId));
  return html`<${TableWrap} label=${label}><table class="operations">
    <thead><tr>
      ${selectable ? html`<th scope="col"><input type="checkbox" aria-label="Select every active operation in the list" checked=${allChosen}
        disabled=${active.length === 0} onChange=${() => onToggleAll(!allChosen)} /></th>` : null}
      <th scope="col">State</th><th scope="col">Type</th>${hideTarget ? null : html`<th scope="col">Target</th>`}
      <th scope="col">Progress</th><th scope="col" class="wide-only">Started by</th><th scope="col">Started</th><th scope="col" class="wide-only">Last message</th></tr></thead>
    <tbody>${operations.map((op) => {
      const isActive = ACTIVE_OPERATION_STATES.has(op.state);
      const last = op.messages?.[op.messages.length - 1];
      const href = targetHref(op.target);
      return html`<tr key=${op.operationId} class=${selected?.has(op.operationId) ? 'selected' : ''} data-operation=${op.operationId} data-state=${op.state}>
        ${selectable ? html`<td>${isActive ? html`<input type="checkbox" aria-label=${`Select ${op.type} of ${targetLabel(op.target)}`}
          checked=${selected.has(op.operationId)} onChange=${() => onToggle(op.operationId)} />` : null}</td>` : null}
        <td><${Badge} state=${op.state} />${op.abortMode ? html`<div class="small muted">abort: ${op.abortMode}</div>` : null}</td>
        <td><a href=${`/operations/${enc(op.operationId)}`} title=${op.operationId}>${op.type}</a></td>
        ${hideTarget ? null : html`<td>${href ? html`<a href=${href}>${targetLabel(op.target)}</a>` : targetLabel(op.target)}</td>`}
        <td class="progress-cell"><${Progress} progress=${op.progress} state=${op.state} /></td>
        <td class="wide-only">${op.createdBy}</td>
        <td><${Time} ms=${op.created} /></td>
        <td class=${last?.error ? 'wide-only error-text' : 'wide-only muted'}>${last?.message ?? ''}</td>
      </tr>`;
    })}</tbody></table><//>`;
}
