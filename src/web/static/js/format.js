// Numbers and times as people read them.

const UNITS = [
  ['year', 365 * 24 * 3600_000], ['month', 30 * 24 * 3600_000], ['day', 24 * 3600_000],
  ['hour', 3600_000], ['minute', 60_000], ['second', 1000],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** "3 minutes ago", "in 20 seconds", "just now". */
export function relativeTime(ms, now = Date.now()) {
  const delta = ms - now;
  if (Math.abs(delta) < 5000) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(delta) >= size || unit === 'second') return relative.format(Math.round(delta / size), unit);
  }
  return '';
}

export const absoluteTime = (ms) => absolute.format(new Date(ms));

/** MB as "512 MB" / "1.5 GB". */
export function megabytes(mb) {
  if (mb === undefined || mb === null) return '—';
  if (Math.abs(mb) >= 1024) return `${(mb / 1024).toFixed(mb % 1024 === 0 ? 0 : 1)} GB`;
  return `${mb} MB`;
}

export const plural = (n, word, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** Sum of a NUMA-keyed map of numbers. */
export const sumNuma = (map) => Object.values(map ?? {}).reduce((total, n) => total + Number(n || 0), 0);

/** Count of a NUMA-keyed map of core lists. */
export const countCores = (map) => Object.values(map ?? {}).reduce((total, list) => total + (list?.length ?? 0), 0);

/** CPU cores and MB granted by a list of ResourceAllocations. */
export function allocationTotals(resources = []) {
  let cores = 0;
  let memory = 0;
  for (const r of resources) {
    if (r.type === 'CPU') cores += countCores(r.cores);
    if (r.type === 'MEMORY') memory += sumNuma(r.memoryInMB);
  }
  return { cores, memory };
}

/** "host:port" for each port of an instance. */
export function hostPorts(instance) {
  const host = instance.localInfo?.hostname;
  const ports = Object.entries(instance.localInfo?.ports ?? {});
  if (!host) return [];
  return ports.map(([name, p]) => ({ name, text: `${host}:${p.hostPort}`, port: p }));
}

/** Counts the values of `key` in a list: [[value, count], …] sorted by count. */
export function countBy(list, key) {
  const counts = new Map();
  for (const item of list) counts.set(item[key], (counts.get(item[key]) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

/** Short form of long ids (AI-…, OP-…) for tables; the full id stays in the title. */
export const shortId = (id) => (typeof id === 'string' && id.length > 14 ? `${id.slice(0, 11)}…` : id);

/** Human label of an operation target. */
export function targetLabel(target) {
  if (!target) return '—';
  if (target.kind === 'app') return target.appId;
  if (target.kind === 'task') return `${target.sourceAppName}/${target.taskId}`;
  return target.serviceId ?? JSON.stringify(target);
}

/** Dashboard URL of an operation target. */
export function targetHref(target) {
  if (target?.kind === 'app') return `/apps/${encodeURIComponent(target.appId)}`;
  if (target?.kind === 'task') return `/tasks/${encodeURIComponent(target.sourceAppName)}/${encodeURIComponent(target.taskId)}`;
  if (target?.kind === 'localservice') return `/local-services/${encodeURIComponent(target.serviceId)}`;
  return undefined;
}
