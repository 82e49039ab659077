// A live log tail of an instance or task through the log-file API (docs/api.md §5): the last part of
// the file, then new output while "Follow" is on, pause, and download. The log API has no push,
// so following reads once a second (only while the tab is visible), the same tail protocol the
// CLI uses: remember the offset, advance it by what was read.
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../api.js';
import { html } from '../html.js';
import { Empty, ErrorNote, Loading } from '../ui.js';

const BACKLOG_BYTES = 16 * 1024;
const READ_BYTES = 32 * 1024;
const FOLLOW_EVERY_MS = 1000;
const MAX_LINES = 5000;
const enc = encodeURIComponent;

async function readJson(url) {
  const result = await request('GET', url);
  if (result === null) return null; // 204: target unknown or its executor is not connected
  if (!result.response.ok) throw new Error(result.body?.error ?? `HTTP ${result.response.status}`);
  return result.body;
}

/**
 * `base`: e.g. /apis/v1/logfiles/applications/{appId}/{instanceId}. `refreshKey` (the workload's
 * state): while there is no log to show yet, the file list is read again whenever it changes.
 */
export function LogTail({ base, label, refreshKey }) {
  const [files, setFiles] = useState();
  const [file, setFile] = useState('output.log');
  const [lines, setLines] = useState([]);
  const [status, setStatus] = useState('loading');
  const [error, setError] = useState();
  const [follow, setFollow] = useState(true);
  const tail = useRef({ offset: 0, partial: '', timer: undefined, generation: 0 });
  const preRef = useRef();

  const haveLog = files?.length > 0 && status !== 'unavailable';
  useEffect(() => {
    if (haveLog) return;
    readJson(`${base}/list`).then((list) => {
      if (list === null) {
        setStatus('unavailable');
        return;
      }
      const names = list.files ?? [];
      if (names.length === 0) {
        setFiles((old) => (old?.length === 0 ? old : []));
        return;
      }
      setStatus('loading');
      setFiles(names);
      if (!names.includes('output.log')) setFile(names[0]);
    }, (e) => { setError(e); setStatus('error'); });
  }, [base, refreshKey, haveLog]);

  const append = (text) => {
    const t = tail.current;
    const parts = (t.partial + text).split('\n');
    t.partial = parts.pop();
    if (parts.length) setLines((old) => [...old, ...parts].slice(-MAX_LINES));
  };

  // Start at the last BACKLOG_BYTES of the chosen file.
  useEffect(() => {
    if (!files || !files.includes(file)) return undefined;
    const t = tail.current;
    const generation = ++t.generation;
    clearTimeout(t.timer);
    setLines([]);
    t.partial = '';
    setStatus('loading');
    (async () => {
      try {
        const end = await readJson(`${base}/read/${enc(file)}`);
        if (generation !== t.generation) return;
        if (end === null) {
          setStatus('unavailable');
          return;
        }
        t.offset = Math.max(0, end.offset - BACKLOG_BYTES);
        let skipFirstLine = t.offset > 0;
        while (generation === t.generation) {
          const chunk = await readJson(`${base}/read/${enc(file)}?offset=${t.offset}&length=${READ_BYTES}`);
          if (!chunk || chunk.data === '') break;
          t.offset += chunk.data.length;
          let text = chunk.data;
          if (skipFirstLine) {
            text = text.slice(text.indexOf('\n') + 1);
            skipFirstLine = false;
          }
          append(text);
        }
        if (generation === t.generation) setStatus('ready');
      } catch (e) {
        if (generation === t.generation) {
          setError(e);
          setStatus('error');
        }
      }
    })();
    return () => { t.generation++; clearTimeout(t.timer); };
  }, [files, file, base]);

  // Follow: read what was appended, once a second while visible.
  useEffect(() => {
    if (status !== 'ready' || !follow) return undefined;
    const t = tail.current;
    const generation = t.generation;
    let stopped = false;
    const step = async () => {
      if (stopped || generation !== t.generation) return;
      if (!document.hidden) {
        try {
          const chunk = await readJson(`${base}/read/${enc(file)}?offset=${t.offset}&length=${READ_BYTES}`);
          if (stopped || generation !== t.generation) return;
          if (chunk && chunk.data !== '') {
            t.offset += chunk.data.length;
            append(chunk.data);
            t.timer = setTimeout(step, 0);
            return;
          }
        } catch {
          // A failed read is retried on the next tick; the lines already shown stay.
        }
      }
      t.timer = setTimeout(step, FOLLOW_EVERY_MS);
    };
    t.timer = setTimeout(step, FOLLOW_EVERY_MS);
    return () => { stopped = true; clearTimeout(t.timer); };
  }, [status, follow, file, base]);

  useEffect(() => {
    if (follow && preRef.current) preRef.current.scrollTop = preRef.current.scrollHeight;
  }, [lines, follow]);

  if (status === 'unavailable') {
    return html`<${Empty} title="Logs are not available">The log files can be read while the executor that ran this is connected.<//>`;
  }
  if (status === 'error') return html`<${ErrorNote} error=${error} title="Could not read the logs" />`;
  if (!files) return html`<${Loading} what="log files" />`;
  if (files.length === 0) return html`<${Empty} title="No log files yet">Output appears once the workload writes some.<//>`;
  const shown = tail.current.partial ? [...lines, tail.current.partial] : lines;
  return html`<div class="log-tail">
    <div class="log-toolbar">
      <label class="inline-field">File <select value=${file} onChange=${(e) => setFile(e.currentTarget.value)}>
        ${files.map((f) => html`<option value=${f}>${f}</option>`)}</select></label>
      <button type="button" class="button small" aria-pressed=${follow ? 'true' : 'false'} onClick=${() => setFollow(!follow)}>
        ${follow ? 'Pause' : 'Follow'}</button>
      <span class="muted small" role="status">${status === 'loading' ? 'Reading…' : follow ? 'Following new output' : 'Paused'}</span>
      <a class="button small" href=${`${base}/download/${enc(file)}?rename=true`} download>Download</a>
    </div>
    <pre class="log" ref=${preRef} tabindex="0" aria-label=${label} aria-live="off">${shown.length ? shown.join('\n') : html`<span class="muted">(empty so far)</span>`}</pre>
  </div>`;
}
