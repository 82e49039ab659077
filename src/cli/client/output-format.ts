/**
 * Output of the client CLI: borderless aligned tables (cli-table3) with `--sort N` / `--reverse`,
 * key/value blocks, human-readable times and sizes, and the `-o json|yaml|wide` formats. Every
 * function returns text; the commands decide where it goes, which keeps this file testable
 * without a terminal.
 */
import type { ResourceUsage } from '../../api/resource-types.ts';
import Table from 'cli-table3';
import { stringify as stringifyYaml } from 'yaml';
import type { Clock } from '../../common/clock.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** A table column: how to get a cell's raw value (sorted on) and how to show it. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | undefined | null;
  format?: (value: string | number | boolean | undefined | null, row: T) => string;
  /** Shown only with `-o wide` (kubectl's convention: wide adds columns, never removes any). */
  wide?: boolean;
}

/**
 * How a command prints its result: `text` (tables and key/value blocks), `wide` (tables with
 * their extra columns), or the data itself as `json` / `yaml`.
 */
export type OutputFormat = 'text' | 'wide' | 'json' | 'yaml';

/** The values `-o/--output` accepts. */
export const OUTPUT_FORMATS = ['json', 'yaml', 'wide'] as const;

/** The columns a format shows: the `wide` ones only with `-o wide`. */
export function visibleColumns<T>(columns: readonly Column<T>[], format: OutputFormat): Column<T>[] {
  return columns.filter((c) => !c.wide || format === 'wide');
}

export interface SortOptions {
  /** 0-based column index to sort on (Drove's `--sort`). */
  sort?: number;
  reverse?: boolean;
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** Renders rows as an aligned table; an empty list renders just the header line. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], options: SortOptions = {}): string {
  const sorted = sortRows(rows, columns, options);
  const table = new Table({
    head: columns.map((c) => c.header),
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    wordWrap: false,
  });
  for (const row of sorted) {
    table.push(columns.map((c) => {
      const value = c.value(row);
      return c.format ? c.format(value, row) : value === undefined || value === null ? '' : String(value);
    }));
  }
  return table.toString().split('\n').map((line) => line.trimEnd()).join('\n');
}

/** Sorts by the raw values of one column: numbers numerically, everything else as text. */
export function sortRows<T>(rows: readonly T[], columns: readonly Column<T>[], options: SortOptions): T[] {
  const copy = [...rows];
  if (options.sort !== undefined) {
    if (!Number.isInteger(options.sort) || options.sort < 0 || options.sort >= columns.length) {
      throw new CliError(EXIT.USAGE, `--sort ${options.sort}: choose a column number from 0 to ${columns.length - 1} (${columns.map((c, i) => `${i}=${c.header}`).join(', ')})`);
    }
    const column = columns[options.sort];
    copy.sort((a, b) => compareValues(column.value(a), column.value(b)));
  }
  if (options.reverse) copy.reverse();
  return copy;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** `key: value` lines with the keys padded to one width; undefined values are skipped. */
export function renderKeyValues(pairs: ReadonlyArray<readonly [string, unknown]>): string {
  const shown = pairs.filter(([, v]) => v !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${formatScalar(v)}`).join('\n');
}

function formatScalar(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Pretty JSON for `--json` / `-o json`. */
export function renderJson(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2);
}

/** YAML for `-o yaml` (no trailing newline, like renderJson). */
export function renderYaml(value: unknown): string {
  return stringifyYaml(value ?? null, { lineWidth: 0 }).trimEnd();
}

/** The data of a result in a structured format: YAML for `yaml`, JSON otherwise. */
export function renderData(value: unknown, format: OutputFormat): string {
  return format === 'yaml' ? renderYaml(value) : renderJson(value);
}

/** Epoch ms → local `YYYY-MM-DD HH:mm:ss` (empty for absent or zero). */
export function formatTime(epochMillis: number | undefined | null): string {
  if (epochMillis === undefined || epochMillis === null || !Number.isFinite(epochMillis) || epochMillis <= 0) return '';
  const d = new Date(epochMillis);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Milliseconds → compact human span: `850ms`, `12s`, `3m20s`, `2h5m`, `3d4h`. */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${Math.round(rest)}ms`;
  rest = Math.floor(rest / 1000);
  const days = Math.floor(rest / 86_400);
  const hours = Math.floor((rest % 86_400) / 3600);
  const minutes = Math.floor((rest % 3600) / 60);
  const seconds = rest % 60;
  if (days > 0) return `${sign}${days}d${hours ? `${hours}h` : ''}`;
  if (hours > 0) return `${sign}${hours}h${minutes ? `${minutes}m` : ''}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds ? `${seconds}s` : ''}`;
  return `${sign}${seconds}s`;
}

/** Epoch ms → `2024-07-01 10:03:15 (3m20s ago)`, relative to the injected clock. */
export function formatTimeWithAge(epochMillis: number | undefined | null, clock: Clock): string {
  const absolute = formatTime(epochMillis);
  if (!absolute) return '';
  const age = clock.now() - (epochMillis as number);
  return age >= 0 ? `${absolute} (${formatSpan(age)} ago)` : `${absolute} (in ${formatSpan(-age)})`;
}

/** Megabytes → `512 MB`, `2 GB`, `1.5 GB`. */
export function formatMemoryMb(mb: number | undefined | null): string {
  if (mb === undefined || mb === null || !Number.isFinite(mb)) return '';
  if (Math.abs(mb) < 1024) return `${mb} MB`;
  const gb = mb / 1024;
  return `${Number.isInteger(gb) ? gb : gb.toFixed(1)} GB`;
}

/** Bytes → `812 B`, `20.1 MB`, `1.2 GB` (binary units, as the memory columns). */
export function formatBytes(bytes: number | undefined | null): string {
  if (bytes === undefined || bytes === null || !Number.isFinite(bytes)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * A running workload's last sample on a few `key: value` lines (instance info, task show):
 * undefined when it has none (not running, or its executor sends no stats).
 */
export function usagePairs(usage: ResourceUsage | undefined): [string, string | undefined][] {
  if (!usage) return [];
  const io = usage.networkRxBytes !== undefined || usage.blockReadBytes !== undefined;
  return [
    ['CPU Used', `${usage.cpuPercent.toFixed(1)}% of a core (${usage.cpuSeconds.toFixed(1)} s in all)`],
    ['Memory Used', `${formatBytes(usage.memoryBytes)}${usage.memoryLimitBytes ? ` of ${formatBytes(usage.memoryLimitBytes)} limit` : ''}${usage.oomKills ? `, ${usage.oomKills} OOM kill(s)` : ''}`],
    ['I/O', io ? `net rx ${formatBytes(usage.networkRxBytes ?? 0)} tx ${formatBytes(usage.networkTxBytes ?? 0)}, block read ${formatBytes(usage.blockReadBytes ?? 0)} write ${formatBytes(usage.blockWriteBytes ?? 0)}` : undefined],
    ['Sampled', formatTime(usage.sampledAt)],
  ];
}

/** `key=value,key=value` for small maps (tags, metadata); empty for none. */
export function formatMap(map: Record<string, unknown> | undefined | null): string {
  if (!map) return '';
  return Object.entries(map).map(([k, v]) => `${k}=${String(v)}`).join(',');
}

/** Sums the core sets / memory maps of a resource allocation list (docs/api.md §2.8.7). */
export function allocationTotals(resources: ReadonlyArray<{ type: string; cores?: Record<string, number[]>; memoryInMB?: Record<string, number> }> | undefined): { cpus: number; memoryMb: number } {
  let cpus = 0;
  let memoryMb = 0;
  for (const r of resources ?? []) {
    if (r.type === 'CPU' && r.cores) for (const cores of Object.values(r.cores)) cpus += cores.length;
    if (r.type === 'MEMORY' && r.memoryInMB) for (const mb of Object.values(r.memoryInMB)) memoryMb += mb;
  }
  return { cpus, memoryMb };
}

/** A section title followed by an indented block, for `describe`. */
export function section(title: string, body: string): string {
  const indented = body ? body.split('\n').map((line) => (line ? `  ${line}` : line)).join('\n') : '  <none>';
  return `${title}:\n${indented}`;
}
