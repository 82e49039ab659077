/**
 * Drove `devices` (docs/api.md §6.13) for containers: DIRECT devices become HostConfig.Devices,
 * DETAILED ones (GPU-style requests) HostConfig.DeviceRequests.
 *
 * DIRECT host paths are checked before anything is created, so a missing device fails the start
 * with its path named and leaves no container. DETAILED requests are the engine's business (it
 * knows its device drivers), except for one thing it does not say: Podman 4's compatible API
 * accepts DeviceRequests and silently drops them, which would run a GPU workload without its
 * GPU. `unhonouredDeviceRequests` spots that on the created container, so the start fails
 * instead.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type Docker from 'dockerode';
import type { DeviceSpec } from '../../../api/spec-types.ts';
import { DockerDriverError } from './docker-errors.ts';

type DirectDevice = Extract<DeviceSpec, { type: 'DIRECT' }>;
type DetailedDevice = Extract<DeviceSpec, { type: 'DETAILED' }>;

/** Drove's permission names as cgroup device-rule letters (docker run --device HOST:CTR:rwm). */
export const CGROUP_PERMISSIONS: Readonly<Record<string, string>> = Object.freeze({
  READ_ONLY: 'r',
  WRITE_ONLY: 'w',
  MKNOD_ONLY: 'm',
  ALL: 'rwm',
  READ_WRITE: 'rw',
});

/** Drove's default when a DIRECT device names no permissions. */
const DEFAULT_PERMISSIONS = 'ALL';

function isDirect(device: DeviceSpec): device is DirectDevice {
  return device.type === 'DIRECT';
}

function isDetailed(device: DeviceSpec): device is DetailedDevice {
  return device.type === 'DETAILED';
}

export function deviceMapping(device: DirectDevice): Docker.DeviceMapping {
  const permissions = device.permissions ?? DEFAULT_PERMISSIONS;
  const letters = CGROUP_PERMISSIONS[permissions];
  // Validation (ours and the controller's) refuses other names; never widen a bad one to rwm.
  if (letters === undefined) throw new Error(`device ${device.pathOnHost}: unknown permissions ${JSON.stringify(permissions)}`);
  const inContainer = device.pathInContainer?.trim();
  return { PathOnHost: device.pathOnHost, PathInContainer: inContainer ? inContainer : device.pathOnHost, CgroupPermissions: letters };
}

/** Only the fields the spec gave: what is left out is the engine's default (e.g. Count). */
export function deviceRequest(device: DetailedDevice): Docker.DeviceRequest {
  const request: Docker.DeviceRequest = {};
  if (device.driver !== undefined) request.Driver = device.driver;
  if (device.count !== undefined) request.Count = device.count;
  if (device.deviceIds !== undefined) request.DeviceIDs = [...device.deviceIds];
  if (device.capabilities !== undefined) request.Capabilities = device.capabilities.map((group) => [...group]);
  if (device.options !== undefined) request.Options = { ...device.options };
  return request;
}

/** The HostConfig fields for `devices`; empty when there are none (the create request stays as before). */
export function deviceHostConfig(devices: readonly DeviceSpec[] | undefined): Pick<Docker.HostConfig, 'Devices' | 'DeviceRequests'> {
  const direct = (devices ?? []).filter(isDirect).map(deviceMapping);
  const requests = (devices ?? []).filter(isDetailed).map(deviceRequest);
  return {
    ...(direct.length > 0 ? { Devices: direct } : {}),
    ...(requests.length > 0 ? { DeviceRequests: requests } : {}),
  };
}

/** Problems with the spec's devices on this host (missing DIRECT device paths, bad paths or permissions). */
export async function deviceProblems(devices: readonly DeviceSpec[] | undefined): Promise<string[]> {
  const problems: string[] = [];
  for (const device of devices ?? []) {
    if (!isDirect(device)) continue;
    const label = `device ${JSON.stringify(device.pathOnHost)}`;
    if (!isAbsolute(device.pathOnHost ?? '')) {
      problems.push(`${label}: pathOnHost must be an absolute path`);
    } else if (!(await stat(device.pathOnHost).then(() => true, () => false))) {
      problems.push(`device ${device.pathOnHost} does not exist on this executor`);
    }
    if (device.pathInContainer?.trim() && !isAbsolute(device.pathInContainer.trim())) {
      problems.push(`${label}: pathInContainer must be an absolute path, got ${JSON.stringify(device.pathInContainer)}`);
    }
    if (device.permissions !== undefined && CGROUP_PERMISSIONS[device.permissions] === undefined) {
      problems.push(`${label}: permissions must be one of ${Object.keys(CGROUP_PERMISSIONS).join(', ')}, got ${JSON.stringify(device.permissions)}`);
    }
  }
  return problems;
}

/** How a DETAILED request reads in messages: `nvidia count=-1 capabilities=[[gpu]]`. */
export function describeDeviceRequest(request: Docker.DeviceRequest): string {
  const parts = [request.Driver || 'default driver'];
  if (request.Count !== undefined) parts.push(`count=${request.Count}`);
  if (request.DeviceIDs?.length) parts.push(`deviceIds=${request.DeviceIDs.join(',')}`);
  if (request.Capabilities?.length) parts.push(`capabilities=[${request.Capabilities.map((g) => `[${g.join(',')}]`).join(',')}]`);
  return parts.join(' ');
}

/**
 * The DETAILED requests a created container does not carry, or [] when it carries them (or
 * none were asked for). Docker keeps DeviceRequests in the container's HostConfig; an engine
 * that translates them into plain devices (CDI) shows more devices than the DIRECT ones asked.
 * Only when neither is visible was the request dropped.
 */
export function unhonouredDeviceRequests(create: Docker.ContainerCreateOptions, created: Docker.ContainerInspectInfo): Docker.DeviceRequest[] {
  const asked = create.HostConfig?.DeviceRequests ?? [];
  if (asked.length === 0) return [];
  const host = created.HostConfig as Docker.HostConfig;
  if ((host.DeviceRequests?.length ?? 0) > 0) return [];
  if ((host.Devices?.length ?? 0) > (create.HostConfig?.Devices?.length ?? 0)) return [];
  return asked;
}

/**
 * Throws CONTAINER_CREATE_FAILED when the engine created `container` without the DETAILED
 * device requests of `create` (see the file comment). Costs an inspect only when some were asked.
 */
export async function refuseDroppedDeviceRequests(container: Docker.Container, create: Docker.ContainerCreateOptions, instanceId: string): Promise<void> {
  if ((create.HostConfig?.DeviceRequests?.length ?? 0) === 0) return;
  const dropped = unhonouredDeviceRequests(create, await container.inspect());
  if (dropped.length === 0) return;
  throw new DockerDriverError('CONTAINER_CREATE_FAILED',
    `could not create container for ${instanceId}: the engine accepted but ignored its device requests [${dropped.map(describeDeviceRequest).join('; ')}] `
    + '(some engines, e.g. Podman 4 through its Docker API, drop them); run it on an executor whose engine honours them, e.g. Docker with that device driver installed');
}
