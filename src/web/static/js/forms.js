// Forms that send one API request and show the API's own validation messages next to the field
// they are about (messages start with the field's path, docs/api.md §1.4). Nothing is checked here
// that the API checks, so the words are the API's; a failed request leaves every value as typed.
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { Dialog } from './ui.js';

/** A problem found before sending (e.g. a spec that is not JSON), attached to a field. */
export class FieldProblem extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

/** Which field a validation message is about: the field whose path starts the message. */
export function fieldOfMessage(message, fields) {
  let best;
  for (const field of fields) {
    for (const path of field.paths ?? [field.name]) {
      const hit = message === path || [' ', ':', '.', '['].some((sep) => message.startsWith(path + sep));
      if (hit && (!best || path.length > best.length)) best = { field: field.name, length: path.length };
    }
  }
  return best?.field;
}

/** A typed number stays as typed when it is not a number, so the API names the problem. */
export const numberOrText = (text) => (text.trim() !== '' && /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text);

/** The opSpec fields every operation form carries (docs/api.md §2.2). */
export const OP_SPEC_FIELDS = [
  { name: 'timeout', label: 'Timeout per step', value: '5 minutes', help: 'Duration, e.g. "90 seconds" or "5 minutes"', paths: ['opSpec.timeout'] },
  { name: 'parallelism', label: 'Parallelism', value: '1', inputmode: 'numeric', help: 'Steps run at the same time (1–512)', paths: ['opSpec.parallelism'] },
  {
    name: 'failureStrategy', label: 'On failure', type: 'select', value: 'STOP', paths: ['opSpec.failureStrategy'],
    options: [['STOP', 'Stop (start nothing new)'], ['ROLLBACK', 'Rollback (treated as stop)']],
  },
];

export const opSpecOf = (values) => ({
  timeout: values.timeout, parallelism: numberOrText(values.parallelism), failureStrategy: values.failureStrategy,
});

function Field({ field, value, problems, onInput, idPrefix }) {
  const id = `${idPrefix}-${field.name}`;
  const helpId = field.help ? `${id}-help` : undefined;
  const errorId = problems.length ? `${id}-error` : undefined;
  const describedBy = [helpId, errorId].filter(Boolean).join(' ') || undefined;
  const common = { id, name: field.name, 'aria-describedby': describedBy, 'aria-invalid': problems.length ? 'true' : undefined };
  let control;
  if (field.type === 'select') {
    control = html`<select ...${common} value=${value} onChange=${(e) => onInput(e.currentTarget.value)}>
      ${field.options.map(([v, label]) => html`<option value=${v}>${label}</option>`)}</select>`;
  } else if (field.type === 'textarea') {
    control = html`<textarea ...${common} rows=${field.rows ?? 12} spellcheck="false" class="code" value=${value}
      onInput=${(e) => onInput(e.currentTarget.value)}></textarea>`;
  } else if (field.type === 'checkbox') {
    control = html`<input type="checkbox" ...${common} checked=${value === true} onChange=${(e) => onInput(e.currentTarget.checked)} />`;
  } else if (field.type === 'radio') {
    return html`<fieldset class="field radio-group" aria-describedby=${describedBy}>
      <legend>${field.label}</legend>
      ${field.options.map(([v, label, detail]) => html`<label class="radio"><input type="radio" name=${id} value=${v} checked=${value === v}
        onChange=${() => onInput(v)} /><span><strong>${label}</strong>${detail ? html`<span class="muted"> — ${detail}</span>` : null}</span></label>`)}
      ${field.help ? html`<p class="help" id=${helpId}>${field.help}</p>` : null}
      ${problems.length ? html`<ul class="field-errors" id=${errorId}>${problems.map((p) => html`<li>${p}</li>`)}</ul>` : null}
    </fieldset>`;
  } else {
    control = html`<input type="text" ...${common} inputmode=${field.inputmode} autocomplete="off" placeholder=${field.placeholder}
      value=${value} onInput=${(e) => onInput(e.currentTarget.value)} />`;
  }
  return html`<div class=${field.type === 'checkbox' ? 'field checkbox' : 'field'}>
    <label for=${id}>${field.label}</label>
    ${control}
    ${field.help ? html`<p class="help" id=${helpId}>${field.help}</p>` : null}
    ${problems.length ? html`<ul class="field-errors" id=${errorId}>${problems.map((p) => html`<li>${p}</li>`)}</ul>` : null}
  </div>`;
}

/**
 * A dialog with fields that sends one request. `send(values)` performs the API call (and may
 * throw FieldProblem); `onDone(result)` is called after success, then the dialog closes.
 */
export function ActionDialog({ title, intro, fields = [], send, submitLabel, danger = false, onDone, onClose, wide = false, children }) {
  const [values, setValues] = useState(() => Object.fromEntries(fields.map((f) => [f.name, f.value ?? (f.type === 'checkbox' ? false : '')])));
  const [problems, setProblems] = useState({ byField: {}, general: [] });
  const [busy, setBusy] = useState(false);
  const idPrefix = `f-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

  const submit = async (event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setProblems({ byField: {}, general: [] });
    try {
      const result = await send(values);
      setBusy(false);
      onDone?.(result);
      onClose();
    } catch (error) {
      setBusy(false);
      const byField = {};
      const general = [];
      const add = (field, message) => {
        if (field) (byField[field] ??= []).push(message);
        else general.push(message);
      };
      if (error instanceof FieldProblem) add(error.field, error.message);
      else if (error.validationErrors?.length) {
        for (const message of error.validationErrors) add(fieldOfMessage(message, fields), message);
        if (general.length === 0 && Object.keys(byField).length === 0) general.push(error.message);
      } else general.push(error.message);
      setProblems({ byField, general, heading: error.validationErrors?.length ? error.message : undefined });
    }
  };

  return html`<${Dialog} title=${title} onClose=${onClose} wide=${wide}>
    <form class="form" onSubmit=${submit} noValidate>
      ${intro ? html`<div class="intro">${intro}</div>` : null}
      ${children}
      ${problems.general.length || problems.heading ? html`<div class="form-errors" role="alert">
        <p class="state-title">${problems.heading ?? 'The request was not accepted'}</p>
        ${problems.general.length ? html`<ul>${problems.general.map((m) => html`<li>${m}</li>`)}</ul>` : html`<p>See the messages next to the fields.</p>`}
      </div>` : null}
      <div class="fields">
        ${fields.map((field) => html`<${Field} key=${field.name} field=${field} value=${values[field.name]} idPrefix=${idPrefix}
          problems=${problems.byField[field.name] ?? []} onInput=${(v) => setValues((old) => ({ ...old, [field.name]: v }))} />`)}
      </div>
      <div class="dialog-actions">
        <button type="button" class="button" onClick=${onClose}>Cancel</button>
        <button type="submit" class=${danger ? 'button danger' : 'button primary'} disabled=${busy} aria-busy=${busy ? 'true' : undefined}>
          ${busy ? 'Sending…' : submitLabel}</button>
      </div>
    </form>
  <//>`;
}

/** Parses pasted JSON, or a FieldProblem on `field` that says where it broke. */
export function parseJsonField(text, field, what) {
  if (text.trim() === '') throw new FieldProblem(field, `Paste the ${what} as JSON.`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FieldProblem(field, `The ${what} is not valid JSON: ${error.message}`);
  }
}
