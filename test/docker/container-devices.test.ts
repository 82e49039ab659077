/**
 * Drove `devices` in the container-create request, without an engine: the permission letters
 * and defaults of DIRECT devices, DETAILED requests passed through as given, the host checks
 * that run before anything is created, and the spotting of device requests an engine dropped.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceSpec } from '../../src/api/spec-types.ts';
import { buildCreateOptions, validateStartSpec } from '../../src/executor/drivers/docker/container-config.ts';
import {
  CGROUP_PERMISSIONS, deviceHostConfig, deviceProblems, describeDeviceRequest, unhonouredDeviceRequests,
} from '../../src/executor/drivers/docker/container-devices.ts';
import { makeSpec, removeDir, tempDir } from './docker-test-env.ts';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('devices-unit');
});
afterAll(async () => removeDir(dir));

describe('DIRECT devices → HostConfig.Devices', () => {
  it('maps every Drove permission to its cgroup letters', () => {
    const permissions = ['READ_ONLY', 'WRITE_ONLY', 'MKNOD_ONLY', 'ALL', 'READ_WRITE'];
    const devices: DeviceSpec[] = permissions.map((p) => ({ type: 'DIRECT', pathOnHost: '/dev/null', pathInContainer: `/dev/${p}`, permissions: p }));
    expect(deviceHostConfig(devices).Devices?.map((d: Docker.DeviceMapping) => d.CgroupPermissions)).toEqual(['r', 'w', 'm', 'rwm', 'rw']);
    expect(Object.keys(CGROUP_PERMISSIONS)).toEqual(permissions);
  });

  it('defaults pathInContainer to pathOnHost and permissions to ALL (rwm)', () => {
    expect(deviceHostConfig([{ type: 'DIRECT', pathOnHost: '/dev/fuse' }, { type: 'DIRECT', pathOnHost: '/dev/zero', pathInContainer: '' }])).toEqual({
      Devices: [
        { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
        { PathOnHost: '/dev/zero', PathInContainer: '/dev/zero', CgroupPermissions: 'rwm' },
      ],
    });
  });

  it('never widens an unknown permission name', () => {
    expect(() => deviceHostConfig([{ type: 'DIRECT', pathOnHost: '/dev/null', permissions: 'EVERYTHING' }])).toThrow('unknown permissions "EVERYTHING"');
  });
});

describe('DETAILED devices → HostConfig.DeviceRequests', () => {
  it('passes the request through, leaving what the spec left out to the engine', () => {
    const host = deviceHostConfig([
      { type: 'DETAILED', driver: 'nvidia', count: -1, capabilities: [['gpu', 'utility']], options: { a: 'b' } },
      { type: 'DETAILED', deviceIds: ['0', 'GPU-3a'] },
    ]);
    expect(host).toEqual({
      DeviceRequests: [
        { Driver: 'nvidia', Count: -1, Capabilities: [['gpu', 'utility']], Options: { a: 'b' } },
        { DeviceIDs: ['0', 'GPU-3a'] },
      ],
    });
    expect(host.DeviceRequests!.map(describeDeviceRequest)).toEqual(['nvidia count=-1 capabilities=[[gpu,utility]]', 'default driver deviceIds=0,GPU-3a']);
  });

  it('puts both kinds into the create request, and nothing when the spec has no devices', () => {
    const spec = makeSpec({
      dir, executorId: 'unit',
      devices: [{ type: 'DIRECT', pathOnHost: '/dev/null', pathInContainer: '/dev/corral-null', permissions: 'READ_WRITE' }, { type: 'DETAILED', driver: 'nvidia', count: 1 }],
    });
    const host = buildCreateOptions(spec, { pinCpus: false }).HostConfig!;
    expect(host.Devices).toEqual([{ PathOnHost: '/dev/null', PathInContainer: '/dev/corral-null', CgroupPermissions: 'rw' }]);
    expect(host.DeviceRequests).toEqual([{ Driver: 'nvidia', Count: 1 }]);
    const plain = buildCreateOptions(makeSpec({ dir, executorId: 'unit' }), { pinCpus: false }).HostConfig!;
    expect(Object.keys(plain)).not.toContain('Devices');
    expect(Object.keys(plain)).not.toContain('DeviceRequests');
  });
});

describe('device checks before the container is created', () => {
  it('names a missing device, relative paths and bad permissions; accepts present devices', async () => {
    expect(await deviceProblems([{ type: 'DIRECT', pathOnHost: '/dev/null' }, { type: 'DETAILED', driver: 'nvidia' }])).toEqual([]);
    expect(await deviceProblems([
      { type: 'DIRECT', pathOnHost: '/dev/corral-missing-device' },
      { type: 'DIRECT', pathOnHost: 'dev/null', pathInContainer: 'relative', permissions: 'RWX' },
    ])).toEqual([
      'device /dev/corral-missing-device does not exist on this executor',
      'device "dev/null": pathOnHost must be an absolute path',
      'device "dev/null": pathInContainer must be an absolute path, got "relative"',
      'device "dev/null": permissions must be one of READ_ONLY, WRITE_ONLY, MKNOD_ONLY, ALL, READ_WRITE, got "RWX"',
    ]);
  });

  it('fails the start spec with INVALID_SPEC naming the device', async () => {
    const spec = makeSpec({ dir, executorId: 'unit', devices: [{ type: 'DIRECT', pathOnHost: '/dev/corral-missing-device' }] });
    await expect(validateStartSpec(spec)).rejects.toMatchObject({
      code: 'INVALID_SPEC',
      message: `invalid container spec for ${spec.instanceId}: device /dev/corral-missing-device does not exist on this executor`,
    });
  });
});

describe('device requests an engine dropped', () => {
  const create = (host: Docker.HostConfig): Docker.ContainerCreateOptions => ({ HostConfig: host });
  const created = (host: Docker.HostConfig) => ({ HostConfig: host }) as unknown as Docker.ContainerInspectInfo;
  const gpu: Docker.DeviceRequest = { Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] };
  const direct: Docker.DeviceMapping = { PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'rwm' };

  it('is nothing when none were asked or the container carries them (Docker) or more devices (CDI)', () => {
    expect(unhonouredDeviceRequests(create({}), created({}))).toEqual([]);
    expect(unhonouredDeviceRequests(create({ DeviceRequests: [gpu] }), created({ DeviceRequests: [gpu] }))).toEqual([]);
    expect(unhonouredDeviceRequests(create({ DeviceRequests: [gpu] }), created({ Devices: [{ ...direct, PathOnHost: '/dev/nvidia0' }] }))).toEqual([]);
  });

  it('is the requests when the container shows neither (Podman 4 drops them)', () => {
    expect(unhonouredDeviceRequests(create({ DeviceRequests: [gpu] }), created({ Devices: [], DeviceRequests: undefined }))).toEqual([gpu]);
    expect(unhonouredDeviceRequests(create({ Devices: [direct], DeviceRequests: [gpu] }), created({ Devices: [direct] }))).toEqual([gpu]);
  });
});
