/**
 * Executor agent options, compiled once at the boundary (`compileExecutorOptions`) into a
 * validated config with every default applied: machine facts (cores, memory, hostname) are
 * detected, the data dir defaults to `./.corral/executor-<port>`, controller URLs become
 * channel URLs.
 */
import os from 'node:os';
import path from 'node:path';
import type { ResourceLayout } from '../../api/resource-types.ts';
import { CHANNEL_PATH } from '../../api/channel-protocol.ts';
import type { Clock } from '../../common/clock.ts';
import { systemClock } from '../../common/clock.ts';
import { executorIdOf } from '../../common/ids.ts';
import type { Logger } from '../../common/logger.ts';
import type { Driver } from '../drivers/driver.ts';
import type { HostTopology } from '../host/host-topology.ts';
import type { OverProvisioning, ResourcePlan } from '../host/resource-plan.ts';
import { planResources, ResourcePlanError } from '../host/resource-plan.ts';
import type { PreShutdownTimings } from '../runner/hooks/pre-shutdown-hook.ts';

/** How work is run: real drivers (process, docker when it answers), or the mock driver for everything. */
export type DriverMode = 'auto' | 'mock';

/** Default least time between two frames of workload reports (ms), agent/report-outbox.ts. */
export const REPORT_PACING_MS = 5;

export interface ExecutorOptions {
  /** Controller base URLs (`http://host:4000`, `https://…`, or `ws(s)://…`); a comma-separated string works too. */
  controllers: string[] | string;
  /** The cluster secret (`Cluster-Authorization`). */
  secret: string;
  name?: string;
  tags?: string[];
  labels?: Record<string, string>;
  rack?: string;
  rackLabels?: Record<string, string>;
  cores?: number;
  memoryMb?: number;
  /** CPUs never offered: kept for the OS and the executor (Drove's `osCores`). */
  osCores?: number[];
  /** Offer more cores and memory than the machine has (off by default; src/executor/host/resource-plan.ts). */
  overProvisioning?: OverProvisioning;
  /**
   * Confine host processes to their cores and memory with cgroups (default true). False
   * (`--no-enforce`): they run unconfined, as the executor details then say.
   */
  enforce?: boolean;
  /** Where workload cgroups go (src/executor/host/cgroups/README.md); tests point it at their own tree. */
  cgroupParent?: string;
  /** Root of the cgroup file systems (default /sys/fs/cgroup); tests lay out a v2 tree elsewhere. */
  cgroupRoot?: string;
  /** Where the machine's topology is read (default /sys); tests lay out other machines. */
  sysRoot?: string;
  /** How often each workload's CPU, memory and I/O are sampled and sent (default 10 s; 0 = never). */
  statsIntervalMs?: number;
  /**
   * The least time between two frames of workload reports (default REPORT_PACING_MS; 0 = one
   * frame per turn of the event loop): under load, later steps of a short task share a frame and
   * the controller writes its record once (agent/report-outbox.ts).
   */
  reportPacingMs?: number;
  dataDir?: string;
  hostname?: string;
  port?: number;
  /** On agent stop, stop every workload too (`corral dev`); default: leave them running. */
  killWorkloadsOnExit?: boolean;
  driver?: DriverMode;
  logger?: Logger;
  clock?: Clock;
  /** Reconnect backoff: first delay, cap, and the slow retry after a refused secret. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number; refusedDelayMs?: number };
  /** Close the connection when no `welcome` arrives this long after `hello`. */
  welcomeTimeoutMs?: number;
  /** WebSocket ping period; a connection that misses a pong for one period is dropped. */
  pingIntervalMs?: number;
  logRotationIntervalMs?: number;
  /** How often RSYSLOG shipping looks for new lines in a followed output.log (default 250 ms). */
  logShipPollMs?: number;
  /** Logs of workloads the controller has forgotten are deleted after this long (default 2 days). */
  logRetentionMs?: number;
  /** Default SIGTERM → SIGKILL wait when a stop does not say. */
  killTimeoutMs?: number;
  /**
   * Keep workload records in memory only and (with the mock driver) create no directories or
   * log files: for `corral sim` at thousands of workloads per second. Nothing survives a restart.
   */
  ephemeral?: boolean;
  /**
   * The identity key to present instead of the data dir's (docs/security.md): `corral sim` keeps
   * one per simulated machine, so a machine it kills and revives is recognised as itself.
   */
  identityKey?: string;
  /** Tests and embedders: use these drivers instead of detecting them. */
  drivers?: Driver[];
  /** Tests: faster preShutdown retry timings. */
  preShutdownTimings?: PreShutdownTimings;
}

export interface ExecutorConfig {
  channelUrls: string[];
  secret: string;
  executorId: string;
  hostname: string;
  port: number;
  name: string;
  tags: string[];
  labels: Record<string, string>;
  rack?: string;
  rackLabels?: Record<string, string>;
  layout: ResourceLayout;
  resources: ResourcePlan;
  enforce: boolean;
  cgroupParent?: string;
  cgroupRoot?: string;
  statsIntervalMs: number;
  reportPacingMs: number;
  dataDir: string;
  killWorkloadsOnExit: boolean;
  driverMode: DriverMode;
  clock: Clock;
  reconnect: { initialDelayMs: number; maxDelayMs: number; refusedDelayMs: number };
  welcomeTimeoutMs: number;
  pingIntervalMs: number;
  logRotationIntervalMs: number;
  logShipPollMs: number;
  logRetentionMs: number;
  killTimeoutMs: number;
  ephemeral: boolean;
  drivers?: Driver[];
  preShutdownTimings?: PreShutdownTimings;
}

/** A bad option; the message says which and how to fix it. */
export class ExecutorConfigError extends Error {
  readonly code = 'EXECUTOR_CONFIG_INVALID';
}

/** `http://h:4000/` → `ws://h:4000/apis/v1/internal/executors/channel`. */
export function channelUrlOf(controller: string): string {
  let url: URL;
  try {
    url = new URL(controller.trim());
  } catch {
    throw new ExecutorConfigError(`--controller: "${controller}" is not a URL (expected e.g. http://controller:4000)`);
  }
  const schemes: Record<string, string> = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' };
  const scheme = schemes[url.protocol];
  if (!scheme) throw new ExecutorConfigError(`--controller: "${controller}" must use http, https, ws or wss`);
  url.protocol = scheme;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${CHANNEL_PATH}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

function positiveInt(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new ExecutorConfigError(`${name} must be a whole number ≥ 1, got ${value}`);
  return value;
}

function machineTopology(): HostTopology {
  const online = os.cpus().map((_, i) => i);
  return { nodes: [{ id: '0', cpus: online, memoryMb: Math.floor(os.totalmem() / (1024 * 1024)) }], online, isolated: [] };
}

function multiplier(value: number | undefined, name: string): number {
  if (value === undefined) return 1;
  if (!Number.isInteger(value) || value < 1 || value > 100) throw new ExecutorConfigError(`${name} must be a whole number from 1 to 100, got ${value}`);
  return value;
}

/** `topology`: what the machine has (read from /sys by startExecutor; the Node view of it otherwise). */
export function compileExecutorOptions(options: ExecutorOptions, topology: HostTopology = machineTopology()): ExecutorConfig {
  const controllers = (Array.isArray(options.controllers) ? options.controllers : String(options.controllers ?? '').split(','))
    .map((c) => c.trim()).filter(Boolean);
  if (controllers.length === 0) throw new ExecutorConfigError('--controller: at least one controller URL is required');
  if (typeof options.secret !== 'string' || !options.secret) throw new ExecutorConfigError('--secret: the cluster secret is required');
  const port = options.port ?? 3000;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ExecutorConfigError(`--port must be 1–65535, got ${port}`);
  const hostname = options.hostname?.trim() || os.hostname();
  const cores = options.cores === undefined ? undefined : positiveInt(options.cores, '--cores', 1);
  const memoryMb = options.memoryMb === undefined ? undefined : positiveInt(options.memoryMb, '--memory-mb', 1);
  const over = options.overProvisioning;
  const overProvisioning = over === undefined ? undefined : {
    cpuMultiplier: multiplier(over.cpuMultiplier, '--overprovision-cpu'),
    memoryMultiplier: multiplier(over.memoryMultiplier, '--overprovision-memory'),
  };
  for (const cpu of options.osCores ?? []) {
    if (!Number.isInteger(cpu) || cpu < 0) throw new ExecutorConfigError(`--os-cores: "${cpu}" is not a CPU number`);
  }
  let resources: ResourcePlan;
  try {
    resources = planResources(topology, { cores, memoryMb, osCores: options.osCores, overProvisioning });
  } catch (error) {
    if (error instanceof ResourcePlanError) throw new ExecutorConfigError(error.message);
    throw error;
  }
  const statsIntervalMs = options.statsIntervalMs ?? 10_000;
  if (!Number.isInteger(statsIntervalMs) || statsIntervalMs < 0) throw new ExecutorConfigError(`--stats-interval must be a whole number of ms ≥ 0, got ${statsIntervalMs}`);
  const reportPacingMs = options.reportPacingMs ?? REPORT_PACING_MS;
  if (!Number.isInteger(reportPacingMs) || reportPacingMs < 0 || reportPacingMs > 1_000) throw new ExecutorConfigError(`--report-pacing must be a whole number of ms from 0 to 1000, got ${reportPacingMs}`);
  const driverMode = options.driver ?? 'auto';
  if (driverMode !== 'auto' && driverMode !== 'mock') throw new ExecutorConfigError(`--driver must be auto or mock, got "${String(driverMode)}"`);
  const tags = (options.tags ?? []).map((t) => t.trim()).filter(Boolean);
  return {
    channelUrls: controllers.map(channelUrlOf),
    secret: options.secret,
    executorId: executorIdOf(hostname, port),
    hostname,
    port,
    name: options.name?.trim() || hostname,
    tags,
    labels: { ...options.labels },
    rack: options.rack,
    rackLabels: options.rackLabels ? { ...options.rackLabels } : undefined,
    layout: resources.layout,
    resources,
    enforce: options.enforce ?? true,
    cgroupParent: options.cgroupParent,
    cgroupRoot: options.cgroupRoot,
    statsIntervalMs,
    reportPacingMs,
    dataDir: path.resolve(options.dataDir ?? path.join('.corral', `executor-${port}`)),
    killWorkloadsOnExit: options.killWorkloadsOnExit ?? false,
    driverMode,
    clock: options.clock ?? systemClock,
    reconnect: {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 5_000,
      refusedDelayMs: options.reconnect?.refusedDelayMs ?? 30_000,
    },
    welcomeTimeoutMs: options.welcomeTimeoutMs ?? 10_000,
    pingIntervalMs: options.pingIntervalMs ?? 2_000,
    logRotationIntervalMs: options.logRotationIntervalMs ?? 1_000,
    logShipPollMs: options.logShipPollMs ?? 250,
    logRetentionMs: options.logRetentionMs ?? 2 * 24 * 3_600_000,
    killTimeoutMs: options.killTimeoutMs ?? 30_000,
    ephemeral: options.ephemeral ?? false,
    drivers: options.drivers,
    preShutdownTimings: options.preShutdownTimings,
  };
}

/** Parses `k=v,k2=v2` (CLI `--labels`, `--rack-labels`). */
export function parseKeyValues(text: string, flag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ExecutorConfigError(`${flag}: "${part}" is not key=value`);
    result[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return result;
}
