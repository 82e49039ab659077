/**
 * Renders parsed specs back into wire JSON (docs/api.md §2.8.3, §3.7): durations in the long output
 * form (`"5m"` → `"5 minutes"`), INLINE config `data` masked to `""`, HTTP call credentials
 * masked to `"***"`, primitive booleans always written, absent optional fields left absent.
 * The result re-parses into an equal spec (apart from the masked secrets).
 */
import { formatDuration, type Duration } from '../../common/durations.ts';
import type { ApplicationSpec } from '../app-types.ts';
import type {
  CheckModeSpec, CheckSpec, ClusterOpSpec, ConfigSpec, DeviceSpec, Executable, HttpCallSpec, LoggingSpec, PlacementPolicy,
  PreShutdownSpec,
} from '../spec-types.ts';
import type { NodeFilter, TaskSpec } from '../task-types.ts';

/** Logging used when a spec has none (docs/api.md §6.11). */
export const DEFAULT_LOGGING: LoggingSpec = { type: 'LOCAL', maxSize: '10m', maxFiles: 3, compress: true };

export const MASK = '***';

type Json = Record<string, unknown>;

/** Copies `fields` without the `undefined`-valued ones (absent stays absent on the wire). */
function compact(fields: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
}

function dur(d: Duration | undefined): string | undefined {
  return d === undefined ? undefined : formatDuration(d);
}

function mask(secret: string | undefined): string | undefined {
  return secret === undefined ? undefined : MASK;
}

function copyMap(map: Record<string, string> | undefined): Record<string, string> | undefined {
  return map === undefined ? undefined : { ...map };
}

/** ExecutableCoordinates as on the wire (also `TaskInfo.executable`). */
export function renderExecutable(e: Executable): unknown {
  return e.type === 'DOCKER'
    ? { type: 'DOCKER', url: e.url, dockerPullTimeout: formatDuration(e.dockerPullTimeout) }
    : { type: 'PROCESS', command: e.command };
}

/** LoggingSpec as on the wire; the LOCAL 10m/3/compressed default when absent. */
export function renderLoggingSpec(l?: LoggingSpec): unknown {
  const logging = l ?? DEFAULT_LOGGING;
  return logging.type === 'LOCAL'
    ? { type: 'LOCAL', maxSize: logging.maxSize, maxFiles: logging.maxFiles, compress: logging.compress }
    : compact({ type: 'RSYSLOG', server: logging.server, tagPrefix: logging.tagPrefix, tagSuffix: logging.tagSuffix });
}

/** ClusterOpSpec as on the wire. */
export function renderOpSpec(op: ClusterOpSpec): unknown {
  return { timeout: formatDuration(op.timeout), parallelism: op.parallelism, failureStrategy: op.failureStrategy };
}

function renderHttpCall(call: HttpCallSpec): Json {
  return compact({
    protocol: call.protocol,
    hostname: call.hostname,
    port: call.port,
    path: call.path,
    verb: call.verb,
    successCodes: [...call.successCodes],
    payload: call.payload,
    connectionTimeout: formatDuration(call.connectionTimeout),
    operationTimeout: formatDuration(call.operationTimeout),
    username: mask(call.username),
    password: mask(call.password),
    authHeader: mask(call.authHeader),
    headers: copyMap(call.headers),
    insecure: call.insecure,
  });
}

function renderConfig(c: ConfigSpec): Json {
  switch (c.type) {
    case 'INLINE':
      return { type: 'INLINE', localFilename: c.localFilename, data: '' };
    case 'EXECUTOR_LOCAL_FILE':
      return { type: c.type, localFilename: c.localFilename, filePathOnHost: c.filePathOnHost };
    default:
      return { type: c.type, localFilename: c.localFilename, http: renderHttpCall(c.http) };
  }
}

function renderPlacement(p: PlacementPolicy): Json {
  switch (p.type) {
    case 'MAX_N_PER_HOST':
      return { type: p.type, max: p.max };
    case 'MATCH_TAG':
      return { type: p.type, tag: p.tag };
    case 'RULE_BASED':
      return { type: p.type, rule: p.rule, ruleType: p.ruleType };
    case 'COMPOSITE':
      return { type: p.type, policies: p.policies.map(renderPlacement), combiner: p.combiner };
    case 'LOCAL':
      return { type: p.type, hostLevel: p.hostLevel ?? false };
    default:
      return { type: p.type };
  }
}

function renderCheckMode(m: CheckModeSpec): Json {
  if (m.type === 'CMD') return { type: 'CMD', command: m.command, shellDisabled: m.shellDisabled };
  return compact({
    type: 'HTTP',
    protocol: m.protocol,
    portName: m.portName,
    path: m.path,
    verb: m.verb,
    successCodes: [...m.successCodes],
    payload: m.payload,
    connectionTimeout: dur(m.connectionTimeout),
    insecure: m.insecure,
  });
}

function renderCheck(c: CheckSpec): Json {
  return compact({
    mode: renderCheckMode(c.mode),
    timeout: formatDuration(c.timeout),
    interval: formatDuration(c.interval),
    attempts: c.attempts,
    initialDelay: dur(c.initialDelay),
  });
}

function renderPreShutdown(p: PreShutdownSpec): Json {
  return compact({ hooks: p.hooks.map(renderCheckMode), waitBeforeKill: dur(p.waitBeforeKill) });
}

function renderDevice(d: DeviceSpec): Json {
  if (d.type === 'DIRECT') {
    return compact({ type: 'DIRECT', pathOnHost: d.pathOnHost, pathInContainer: d.pathInContainer, permissions: d.permissions });
  }
  return compact({
    type: 'DETAILED',
    driver: d.driver,
    count: d.count,
    deviceIds: d.deviceIds && [...d.deviceIds],
    capabilities: d.capabilities?.map((group) => [...group]),
    options: copyMap(d.options),
  });
}

function renderNodeFilter(f: NodeFilter): Json {
  return {
    filterSetType: f.filterSetType,
    filterSet: f.filterSet.map((e) =>
      compact({
        filterType: e.filterType,
        nodeNames: e.nodeNames && [...e.nodeNames],
        nodeTags: e.nodeTags && [...e.nodeTags],
        nodeLabels: copyMap(e.nodeLabels),
        rackNames: e.rackNames && [...e.rackNames],
        rackLabels: copyMap(e.rackLabels),
      }),
    ),
  };
}

/** The container-shaped fields apps and tasks share, in Drove's field order. */
function renderCommon(spec: ApplicationSpec | TaskSpec): Json {
  return {
    volumes: spec.volumes?.map((v) => ({ pathInContainer: v.pathInContainer, pathOnHost: v.pathOnHost, mode: v.mode })),
    configs: spec.configs?.map(renderConfig),
    logging: spec.logging && renderLoggingSpec(spec.logging),
    resources: spec.resources.map((r) => (r.type === 'CPU' ? { type: 'CPU', count: r.count } : { type: 'MEMORY', sizeInMB: r.sizeInMB })),
    placementPolicy: spec.placementPolicy && renderPlacement(spec.placementPolicy),
  };
}

/** ApplicationSpec for `GET /applications/{appId}/spec` (secrets masked). */
export function renderAppSpec(spec: ApplicationSpec): unknown {
  return compact({
    name: spec.name,
    version: spec.version,
    type: spec.type,
    executable: renderExecutable(spec.executable),
    exposedPorts: spec.exposedPorts.map((p) => ({ name: p.name, port: p.port, type: p.type })),
    ...renderCommon(spec),
    healthcheck: renderCheck(spec.healthcheck),
    readiness: renderCheck(spec.readiness),
    tags: copyMap(spec.tags),
    env: copyMap(spec.env),
    args: spec.args && [...spec.args],
    devices: spec.devices?.map(renderDevice),
    exposureSpec: spec.exposureSpec && { vhost: spec.exposureSpec.vhost, portName: spec.exposureSpec.portName, mode: spec.exposureSpec.mode },
    preShutdown: spec.preShutdown && renderPreShutdown(spec.preShutdown),
    userSpec: spec.userSpec && compact({ user: spec.userSpec.user, group: spec.userSpec.group }),
  });
}

/** TaskSpec as on the wire (secrets masked), e.g. for operation and dashboard views. */
export function renderTaskSpec(spec: TaskSpec): unknown {
  return compact({
    sourceAppName: spec.sourceAppName,
    taskId: spec.taskId,
    executable: renderExecutable(spec.executable),
    ...renderCommon(spec),
    tags: copyMap(spec.tags),
    env: copyMap(spec.env),
    args: spec.args && [...spec.args],
    devices: spec.devices?.map(renderDevice),
    userSpec: spec.userSpec && compact({ user: spec.userSpec.user, group: spec.userSpec.group }),
    nodeFilter: spec.nodeFilter && renderNodeFilter(spec.nodeFilter),
    maxRunDuration: dur(spec.maxRunDuration),
  });
}
