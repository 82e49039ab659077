/**
 * Controller-level spec checks (docs/api.md §6.16, §6.9, §6.12, §6.13): rules that need the
 * controller's options or look across fields. They run after the field constraints pass and
 * return Drove's messages verbatim (empty list = the spec is acceptable). Not included: the
 * "already exists" check and the capacity check, which need cluster state.
 */
import { posix } from 'node:path';
import type { ApplicationSpec } from '../app-types.ts';
import type { LocalServiceSpec } from '../localservice-types.ts';
import type { ConfigSpec, Executable, MountedVolume, PlacementPolicy, ResourceRequirement } from '../spec-types.ts';
import type { TaskSpec } from '../task-types.ts';
import { placementRuleProblems } from '../hope/index.ts';
import { walkPolicies } from './placement-schema.ts';

/** The controller options the checks depend on (a ControllerConfig satisfies this shape). */
export interface SpecLimits {
  /** Host directory prefixes volumes may mount and EXECUTOR_LOCAL_FILE configs may read; empty = any directory. */
  allowedMountDirs: string[];
  enableRawDeviceAccess: boolean;
  disableCmdlArgs: boolean;
}

/** Limit on the space-joined `args` (Drove's controller check). */
export const MAX_ARGS_LENGTH = 2048;

export const DEVICE_ACCESS_DISABLED = 'Device access is disabled. To enable, set enableRawDeviceAccess: true in controller options.';
export const CMDL_ARGS_DISABLED = 'Passing command line to containers is disabled on this cluster';

/** Java's `List.toString()`: `[a, b]`. */
function javaList(values: readonly string[]): string {
  return `[${values.join(', ')}]`;
}

function unique(messages: string[]): string[] {
  return [...new Set(messages)];
}

/**
 * True when `pathOnHost` lies inside one of `allowed`. Compares normalised paths component-wise,
 * so `/mnt/data2` is not inside `/mnt/data` and `/mnt/data/../etc` is not either.
 */
export function isMountAllowed(pathOnHost: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const path = posix.normalize(pathOnHost);
  return allowed.some((prefix) => {
    const base = posix.normalize(prefix).replace(/\/+$/, '');
    return base === '' ? path.startsWith('/') : path === base || path.startsWith(`${base}/`);
  });
}

function volumeMessages(volumes: MountedVolume[] | undefined, limits: SpecLimits): string[] {
  return (volumes ?? [])
    .filter((v) => !isMountAllowed(v.pathOnHost, limits.allowedMountDirs))
    .map((v) => `Volume mount requested on non whitelisted host directory: ${v.pathOnHost}`);
}

/**
 * An EXECUTOR_LOCAL_FILE config copies a file of the executor's host into the workload: it
 * reads the host as a volume does, so the same whitelist applies (docs/security.md).
 */
function hostFileMessages(configs: ConfigSpec[] | undefined, limits: SpecLimits): string[] {
  return (configs ?? [])
    .filter((c) => c.type === 'EXECUTOR_LOCAL_FILE' && !isMountAllowed(c.filePathOnHost, limits.allowedMountDirs))
    .map((c) => `Config file requested from non whitelisted host directory: ${(c as { filePathOnHost: string }).filePathOnHost}`);
}

function argsMessages(args: string[] | undefined, limits: SpecLimits): string[] {
  if (!args || args.length === 0) return [];
  if (limits.disableCmdlArgs) return [CMDL_ARGS_DISABLED];
  return args.join(' ').length > MAX_ARGS_LENGTH ? [`Maximum combined length of command line arguments can be ${MAX_ARGS_LENGTH}`] : [];
}

function deviceMessages(devices: unknown[] | undefined, limits: SpecLimits): string[] {
  return devices && devices.length > 0 && !limits.enableRawDeviceAccess ? [DEVICE_ACCESS_DISABLED] : [];
}

/**
 * PROCESS workloads have no container: `configs[].localFilename` and `volumes[].pathInContainer`
 * are taken relative to the workload's directory (a leading `/` dropped), so one that climbs out
 * with `..` is refused here rather than by the executor after a record was made.
 */
function processPathMessages(executable: Executable | undefined, configs: ConfigSpec[] | undefined, volumes: MountedVolume[] | undefined): string[] {
  if (executable?.type !== 'PROCESS') return [];
  const escapes = (requested: string) => {
    const relative = posix.normalize(requested.replace(/^\/+/, ''));
    return relative === '..' || relative.startsWith('../');
  };
  return [
    ...(configs ?? []).filter((c) => escapes(c.localFilename))
      .map((c) => `config ${c.type}: ${JSON.stringify(c.localFilename)} escapes the task directory`),
    ...(volumes ?? []).filter((v) => escapes(v.pathInContainer))
      .map((v) => `volume: ${JSON.stringify(v.pathInContainer)} escapes the task directory`),
  ];
}

function resourceMessages(resources: ResourceRequirement[]): string[] {
  const messages: string[] = [];
  if (!resources.some((r) => r.type === 'CPU')) messages.push('Cpu requirements are mandatory');
  if (!resources.some((r) => r.type === 'MEMORY')) messages.push('Memory requirements are mandatory');
  return messages;
}

function placementMessages(policy: PlacementPolicy | undefined, owner: 'apps' | 'tasks'): string[] {
  const messages: string[] = [];
  for (const p of walkPolicies(policy)) {
    if (p.type === 'LOCAL') messages.push(`Local service placement is not allowed for ${owner}`);
    if (p.type === 'RULE_BASED') messages.push(...placementRuleProblems(p.ruleType, p.rule));
  }
  return messages;
}

/** §6.16 checks for an application spec (CREATE and /applications/validate/spec). */
export function checkAppSpec(spec: ApplicationSpec, limits: SpecLimits): string[] {
  const portNames = spec.exposedPorts.map((p) => p.name);
  const messages: string[] = [];
  for (const check of [spec.healthcheck, spec.readiness]) {
    if (check.mode.type === 'HTTP' && !portNames.includes(check.mode.portName)) {
      messages.push(`Invalid port name for health check: ${check.mode.portName}. Available ports: ${javaList(portNames)}`);
    }
  }
  messages.push(...resourceMessages(spec.resources));
  if (spec.exposureSpec && !portNames.includes(spec.exposureSpec.portName)) {
    messages.push(`Exposed port name ${spec.exposureSpec.portName} is undefined. Defined port names: ${javaList(portNames)}`);
  }
  messages.push(...volumeMessages(spec.volumes, limits));
  messages.push(...hostFileMessages(spec.configs, limits));
  messages.push(...processPathMessages(spec.executable, spec.configs, spec.volumes));
  messages.push(...argsMessages(spec.args, limits));
  messages.push(...deviceMessages(spec.devices, limits));
  messages.push(...placementMessages(spec.placementPolicy, 'apps'));
  return unique(messages);
}

/** §6.16 checks for a task spec (task CREATE and /tasks/validate/spec), capacity aside. */
export function checkTaskSpec(spec: TaskSpec, limits: SpecLimits): string[] {
  return unique([
    ...resourceMessages(spec.resources),
    ...volumeMessages(spec.volumes, limits),
    ...hostFileMessages(spec.configs, limits),
    ...processPathMessages(spec.executable, spec.configs, spec.volumes),
    ...argsMessages(spec.args, limits),
    ...deviceMessages(spec.devices, limits),
    ...placementMessages(spec.placementPolicy, 'tasks'),
  ]);
}

export const LOCAL_PLACEMENT_ONLY = 'Only local placement is allowed for local services';

/**
 * §6.16 checks for a local-service spec (CREATE and /localservices/validate/spec): the
 * application checks, and a top-level `{"type": "LOCAL"}` placement (docs/localservices.md).
 */
export function checkLocalServiceSpec(spec: LocalServiceSpec, limits: SpecLimits): string[] {
  const messages = checkAppSpec({ ...spec, placementPolicy: undefined }, limits);
  if (spec.placementPolicy?.type !== 'LOCAL') messages.push(LOCAL_PLACEMENT_ONLY);
  return unique(messages);
}
