/**
 * Turns a WorkloadStartSpec into a container-create request: image, env, args, memory limit,
 * pinned cores, published ports, volumes, config files, devices (container-devices.ts), user
 * and the labels a restarted executor uses to find its containers again.
 *
 * Config files (Drove `configs`) are bind-mounted read-only from where the runner wrote them
 * (`spec.configFiles[].hostPath`) onto `localFilename` in the container. That needs no copy
 * step between create and start, works the same on Docker and Podman, and keeps secrets out
 * of the image layers; the cost is that the workload cannot modify its config files.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type Docker from 'dockerode';
import type { WorkloadStartSpec } from '../driver.ts';
import { DockerDriverError } from './docker-errors.ts';
import { deviceHostConfig, deviceProblems } from './container-devices.ts';
import { formatCpuList } from '../../host/host-topology.ts';
import type { HostPlacement } from '../../host/resource-plan.ts';

/** Labels every corral container carries. */
export const LABELS = {
  managed: 'corral.managed',
  instanceId: 'corral.instance-id',
  kind: 'corral.kind',
  owner: 'corral.owner',
  executorId: 'corral.executor-id',
  /** JSON of ContainerRecord: what recovery needs beyond the ids. */
  spec: 'corral.spec',
} as const;

/** The part of the start spec stored on the container (label `corral.spec`) for recovery. */
export interface ContainerRecord {
  kind: 'task' | 'instance';
  instanceId: string;
  ownerId: string;
  image: string;
  workDir: string;
  logDir: string;
  ports: { name: string; containerPort: number; hostPort: number; type: string }[];
}

export interface BuildOptions {
  executorId?: string;
  /** Pin to the allocated cores (CpusetCpus, CpusetMems); false when the engine cannot. */
  pinCpus: boolean;
  /** Where the allocation lands on this host (src/executor/host/resource-plan.ts); default: its own cores and node. */
  placement?: HostPlacement;
}

/** The allocation's own cores and NUMA node, for a driver built without the executor's plan. */
export function ownPlacement(spec: WorkloadStartSpec): HostPlacement {
  const node = Number(spec.allocation.numaNode);
  return { cpus: spec.allocation.cores, mems: Number.isInteger(node) ? [node] : [] };
}

const NAME_UNSAFE = /[^a-zA-Z0-9_.-]/g;

/** Deterministic container name, so a retried start finds what an interrupted one left. */
export function containerName(instanceId: string): string {
  return `corral-${instanceId.replace(NAME_UNSAFE, '-')}`;
}

export function imageOf(spec: WorkloadStartSpec): string {
  if (spec.executable.type !== 'DOCKER') {
    throw new DockerDriverError('INVALID_SPEC', `the docker driver runs DOCKER executables, not ${spec.executable.type}`);
  }
  const url = spec.executable.url?.trim();
  if (!url) throw new DockerDriverError('INVALID_SPEC', 'executable.url (the image) is empty');
  return url;
}

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/**
 * Refuses what the engine would reject with an obscure message, or worse accept: a missing
 * volume directory (Docker would silently create it), a missing config file or device, bad ports.
 * Collects every problem so one attempt shows them all.
 */
export async function validateStartSpec(spec: WorkloadStartSpec): Promise<void> {
  const problems: string[] = [];
  try {
    imageOf(spec);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (!spec.instanceId?.trim()) problems.push('instanceId is empty');
  if (!isAbsolute(spec.logDir ?? '')) problems.push(`logDir must be an absolute path, got ${JSON.stringify(spec.logDir)}`);
  const hostPorts = new Set<number>();
  for (const port of spec.ports ?? []) {
    if (!validPort(port.containerPort)) problems.push(`port ${port.name}: container port ${port.containerPort} is not in 1-65535`);
    if (!validPort(port.hostPort)) problems.push(`port ${port.name}: host port ${port.hostPort} is not in 1-65535`);
    if (hostPorts.has(port.hostPort)) problems.push(`port ${port.name}: host port ${port.hostPort} is allocated twice`);
    hostPorts.add(port.hostPort);
  }
  for (const volume of spec.volumes ?? []) {
    if (!isAbsolute(volume.pathInContainer ?? '')) {
      problems.push(`volume ${JSON.stringify(volume.pathOnHost)}: pathInContainer must be absolute, got ${JSON.stringify(volume.pathInContainer)}`);
    }
    if (!isAbsolute(volume.pathOnHost ?? '')) {
      problems.push(`volume pathOnHost must be absolute, got ${JSON.stringify(volume.pathOnHost)}`);
    } else if (!(await statOrUndefined(volume.pathOnHost))) {
      problems.push(`volume host path ${volume.pathOnHost} does not exist on this executor`);
    }
  }
  for (const config of spec.configFiles ?? []) {
    if (!isAbsolute(config.localFilename ?? '')) {
      problems.push(`config file localFilename must be an absolute path in the container, got ${JSON.stringify(config.localFilename)}`);
    }
    const info = await statOrUndefined(config.hostPath);
    if (!info?.isFile()) problems.push(`config file for ${config.localFilename} was not written to ${config.hostPath}`);
  }
  problems.push(...(await deviceProblems(spec.devices)));
  if (spec.userSpec && !spec.userSpec.user?.trim()) problems.push('userSpec.user is empty');
  if (!(spec.allocation?.memoryMB > 0)) problems.push(`allocation.memoryMB must be positive, got ${spec.allocation?.memoryMB}`);
  if (problems.length > 0) throw new DockerDriverError('INVALID_SPEC', `invalid container spec for ${spec.instanceId}: ${problems.join('; ')}`);
}

export function containerRecord(spec: WorkloadStartSpec): ContainerRecord {
  return {
    kind: spec.kind,
    instanceId: spec.instanceId,
    ownerId: spec.ownerId,
    image: imageOf(spec),
    workDir: spec.workDir,
    logDir: spec.logDir,
    ports: spec.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, hostPort: p.hostPort, type: p.type })),
  };
}

export function containerLabels(spec: WorkloadStartSpec, executorId: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {
    ...spec.labels,
    [LABELS.managed]: 'true',
    [LABELS.instanceId]: spec.instanceId,
    [LABELS.kind]: spec.kind,
    [LABELS.owner]: spec.ownerId,
    [LABELS.spec]: JSON.stringify(containerRecord(spec)),
  };
  const executor = executorId ?? spec.labels?.[LABELS.executorId];
  if (executor) labels[LABELS.executorId] = executor;
  return labels;
}

function portKey(containerPort: number, type: string): string {
  return `${containerPort}/${type === 'UDP' ? 'udp' : 'tcp'}`;
}

/** Docker json-file rotation for the engine's own copy of the logs (corral keeps output.log itself). */
function logConfig(spec: WorkloadStartSpec): Docker.HostConfig['LogConfig'] {
  if (spec.logging?.type === 'LOCAL') {
    return { Type: 'json-file', Config: { 'max-size': spec.logging.maxSize, 'max-file': String(spec.logging.maxFiles) } };
  }
  return { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } };
}

export function buildCreateOptions(spec: WorkloadStartSpec, options: BuildOptions): Docker.ContainerCreateOptions {
  const exposedPorts: Record<string, object> = {};
  const portBindings: Record<string, { HostIp?: string; HostPort: string }[]> = {};
  for (const port of spec.ports) {
    const key = portKey(port.containerPort, port.type);
    exposedPorts[key] = {};
    (portBindings[key] ??= []).push({ HostPort: String(port.hostPort) });
  }
  const binds = [
    ...spec.volumes.map((v) => `${v.pathOnHost}:${v.pathInContainer}:${v.mode === 'READ_ONLY' ? 'ro' : 'rw'}`),
    ...spec.configFiles.map((c) => `${c.hostPath}:${c.localFilename}:ro`),
  ];
  const memoryBytes = Math.round(spec.allocation.memoryMB * 1024 * 1024);
  const hostConfig: Docker.HostConfig = {
    Memory: memoryBytes,
    // Equal to Memory: no swap on top of the allocation.
    MemorySwap: memoryBytes,
    PortBindings: portBindings,
    Binds: binds,
    LogConfig: logConfig(spec),
    RestartPolicy: { Name: 'no' },
    ...deviceHostConfig(spec.devices),
  };
  // As Drove sets them: the cores, and the memory of their NUMA node.
  const placement = options.placement ?? ownPlacement(spec);
  if (options.pinCpus && placement.cpus.length > 0) {
    hostConfig.CpusetCpus = formatCpuList(placement.cpus);
    if (placement.mems.length > 0) hostConfig.CpusetMems = formatCpuList(placement.mems);
  }
  const create: Docker.ContainerCreateOptions = {
    name: containerName(spec.instanceId),
    Image: imageOf(spec),
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: containerLabels(spec, options.executorId),
    ExposedPorts: exposedPorts,
    HostConfig: hostConfig,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
  };
  // No args: the image's own CMD runs (Drove passes args as the container command).
  if (spec.args.length > 0) create.Cmd = [...spec.args];
  if (spec.userSpec) create.User = spec.userSpec.group ? `${spec.userSpec.user}:${spec.userSpec.group}` : spec.userSpec.user;
  return create;
}
