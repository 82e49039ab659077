// The core map of one executor (like Drove's NUMA view): every core of every NUMA node, coloured
// by the workload holding it.
import { html } from '../html.js';
import { megabytes } from '../format.js';

const PALETTE_SIZE = 8;
const enc = encodeURIComponent;

/**
 * Who holds each core: `Map<"numa:core", owner>`, from the allocated resources of the instances
 * and tasks listed in the details, then from the controller's own `coreHolders` for any core
 * they leave out (a workload the lists do not carry).
 */
export function coreOwners(details) {
  const owners = new Map();
  const workloads = [];
  const claim = (owner, resources) => {
    let claimed = false;
    for (const r of resources ?? []) {
      if (r.type !== 'CPU') continue;
      for (const [numa, cores] of Object.entries(r.cores ?? {})) {
        for (const core of cores) {
          owners.set(`${numa}:${core}`, owner);
          claimed = true;
        }
      }
    }
    if (claimed) workloads.push(owner);
  };
  for (const i of details.instances ?? []) {
    claim({ kind: 'instance', label: `${i.appId} ${i.instanceId}`, short: i.appId, href: `/apps/${enc(i.appId)}/instances/${enc(i.instanceId)}`, state: i.state }, i.resources);
  }
  for (const t of details.tasks ?? []) {
    claim({ kind: 'task', label: `task ${t.sourceAppName}/${t.taskId}`, short: `${t.sourceAppName}/${t.taskId}`, href: `/tasks/${enc(t.sourceAppName)}/${enc(t.taskId)}`, state: t.state }, t.resources);
  }
  for (const s of details.serviceInstances ?? []) {
    claim({ kind: 'local service', label: `${s.serviceId} ${s.instanceId}`, short: s.serviceId, href: `/local-services/${enc(s.serviceId)}`, state: s.state }, s.resources);
  }
  const held = new Map();
  for (const h of details.coreHolders ?? []) {
    if (owners.has(`${h.numaNode}:${h.core}`)) continue;
    const entry = held.get(h.instanceId) ?? { holder: h, cores: {} };
    (entry.cores[h.numaNode] ??= []).push(h.core);
    held.set(h.instanceId, entry);
  }
  for (const { holder: h, cores } of held.values()) {
    const owner = h.taskId
      ? { kind: 'task', label: `task ${h.sourceAppName}/${h.taskId}`, short: `${h.sourceAppName}/${h.taskId}`, href: `/tasks/${enc(h.sourceAppName)}/${enc(h.taskId)}` }
      : { kind: 'instance', label: `${h.appId ?? ''} ${h.instanceId}`, short: h.appId ?? h.instanceId, href: h.appId ? `/apps/${enc(h.appId)}/instances/${enc(h.instanceId)}` : '#' };
    claim(owner, [{ type: 'CPU', cores }]);
  }
  workloads.forEach((owner, index) => { owner.colour = index % PALETTE_SIZE; });
  return { owners, workloads };
}

/** Core ids per NUMA node: the physical layout when known, else free ∪ used. */
function coresByNode(state) {
  const nodes = new Map();
  const add = (map) => {
    for (const [numa, cores] of Object.entries(map ?? {})) {
      const set = nodes.get(numa) ?? new Set();
      for (const core of cores) set.add(core);
      nodes.set(numa, set);
    }
  };
  add(state?.layout?.cores);
  add(state?.cpus?.freeCores);
  add(state?.cpus?.usedCores);
  return [...nodes.entries()].sort((a, b) => Number(a[0]) - Number(b[0])).map(([numa, set]) => [numa, [...set].sort((a, b) => a - b)]);
}

export function CoreMap({ details }) {
  const { owners, workloads } = coreOwners(details);
  const used = new Set(Object.entries(details.state?.cpus?.usedCores ?? {}).flatMap(([numa, cores]) => cores.map((c) => `${numa}:${c}`)));
  const nodes = coresByNode(details.state);
  if (nodes.length === 0) return html`<p class="muted">This executor reported no cores.</p>`;
  return html`<div class="core-map">
    ${nodes.map(([numa, cores]) => {
      const free = details.state?.memory?.freeMemory?.[numa] ?? 0;
      const usedMb = details.state?.memory?.usedMemory?.[numa] ?? 0;
      return html`<figure class="numa-node">
        <figcaption>NUMA node ${numa} · ${cores.length} cores · memory ${megabytes(usedMb)} used, ${megabytes(free)} free</figcaption>
        <ul class="cores" aria-label=${`Cores of NUMA node ${numa}`}>
          ${cores.map((core) => {
            const key = `${numa}:${core}`;
            const owner = owners.get(key);
            if (owner) {
              const label = `Core ${core}: ${owner.label}`;
              return html`<li><a class=${`core owned c${owner.colour}`} href=${owner.href} title=${label} aria-label=${label}>${core}</a></li>`;
            }
            const taken = used.has(key);
            const label = `Core ${core}: ${taken ? 'in use (owner not reported)' : 'free'}`;
            return html`<li><span class=${taken ? 'core taken' : 'core free'} title=${label} aria-label=${label} role="img">${core}</span></li>`;
          })}
        </ul>
      </figure>`;
    })}
    <ul class="legend" aria-label="Core map legend">
      ${workloads.map((w) => html`<li><span class=${`swatch c${w.colour}`} aria-hidden="true"></span><a href=${w.href}>${w.short}</a> <span class="muted">${w.kind}</span></li>`)}
      <li><span class="swatch free" aria-hidden="true"></span>free</li>
      ${[...used].some((k) => !owners.has(k)) ? html`<li><span class="swatch taken" aria-hidden="true"></span>in use, owner not reported</li>` : null}
    </ul>
  </div>`;
}
