/**
 * Field constraints of the spec reference (docs/api.md §6.3–§6.15), one positive and one negative case
 * per rule. Bare specs are used so paths start at the spec root, parsed with `limits: null` so
 * controller-level checks (spec-checks.test.ts) stay out of the way.
 */
import { describe, expect, it } from 'vitest';
import { parseAppSpec, parseTaskSpec } from '../../src/api/validation/index.ts';
import { appSpec, commandErrors, jsonErrors, taskSpec } from './fixtures.ts';

const app = (fields: Record<string, unknown>) => parseAppSpec({ ...appSpec(), ...fields }, null);
const task = (fields: Record<string, unknown>) => parseTaskSpec({ ...taskSpec(), ...fields }, null);

describe('executable', () => {
  it('assumes DOCKER when type is absent or null', () => {
    expect(task({ executable: { url: 'img:1', dockerPullTimeout: '15m' } }).executable).toEqual({
      type: 'DOCKER', url: 'img:1', dockerPullTimeout: { count: 15, unit: 'minutes' },
    });
    expect(task({ executable: { type: null, url: 'img:1', dockerPullTimeout: '1s' } }).executable.type).toBe('DOCKER');
  });

  it('requires DOCKER url and dockerPullTimeout', () => {
    expect(commandErrors(() => task({ executable: { type: 'DOCKER' } })).sort()).toEqual([
      'executable.dockerPullTimeout must not be null', 'executable.url must not be empty',
    ]);
    expect(commandErrors(() => task({ executable: undefined }))).toEqual(['executable must not be null']);
  });

  it('accepts PROCESS with an absolute command and rejects a relative one', () => {
    expect(task({ executable: { type: 'PROCESS', command: '/bin/true' } }).executable).toEqual({ type: 'PROCESS', command: '/bin/true' });
    expect(commandErrors(() => task({ executable: { type: 'PROCESS', command: 'bin/true' } }))).toEqual([
      'executable.command must be an absolute path (start with "/")',
    ]);
    expect(commandErrors(() => task({ executable: { type: 'PROCESS' } }))).toEqual(['executable.command must not be empty']);
  });

  it('rejects an unknown executable type as a JSON failure', () => {
    expect(jsonErrors(() => task({ executable: { type: 'process', command: '/bin/true' } }))[0]).toMatch(/^executable\.type "process" is not a known type/);
  });
});

describe('exposedPorts', () => {
  it('accepts ports 1 and 65535 of every type, case-insensitively', () => {
    const spec = app({ exposedPorts: [{ name: 'a', port: 1, type: 'tcp' }, { name: 'http', port: 65535, type: 'Udp' }] });
    expect(spec.exposedPorts).toEqual([{ name: 'a', port: 1, type: 'TCP' }, { name: 'http', port: 65535, type: 'UDP' }]);
  });

  it('rejects an empty list, bad names, out-of-range ports and duplicate names', () => {
    expect(commandErrors(() => app({ exposedPorts: [] }))).toEqual(['exposedPorts must not be empty']);
    expect(commandErrors(() => app({ exposedPorts: [{ name: 'h p', port: 0, type: 'HTTP' }] })).sort()).toEqual([
      'exposedPorts[0].name must match "[A-Za-z0-9_-]*"', 'exposedPorts[0].port must be greater than or equal to 1',
    ]);
    expect(commandErrors(() => app({ exposedPorts: [{ name: 'http', port: 80, type: 'HTTP' }, { name: 'http', port: 81, type: 'HTTP' }] }))).toEqual([
      'exposedPorts must not contain duplicate port names: [http]',
    ]);
    expect(jsonErrors(() => app({ exposedPorts: [{ name: 'http', port: 80, type: 'SCTP' }] }))).toEqual([
      'exposedPorts[0].type: "SCTP" is not one of [HTTP, HTTPS, TCP, UDP]',
    ]);
  });
});

describe('volumes, resources, user', () => {
  it('parses volumes and requires all their fields', () => {
    expect(task({ volumes: [{ pathInContainer: '/d', pathOnHost: '/m', mode: 'READ_ONLY' }] }).volumes).toHaveLength(1);
    expect(commandErrors(() => task({ volumes: [{ pathInContainer: '/d' }] })).sort()).toEqual([
      'volumes[0].mode must not be null', 'volumes[0].pathOnHost must not be empty',
    ]);
  });

  it('requires positive CPU count and memory size; unknown resource type is a JSON failure', () => {
    expect(task({ resources: [{ type: 'CPU', count: 4 }, { type: 'MEMORY', sizeInMB: 16 }] }).resources).toHaveLength(2);
    expect(commandErrors(() => task({ resources: [{ type: 'CPU', count: 0 }, { type: 'MEMORY' }] }))).toEqual([
      'resources[0].count must be greater than or equal to 1', 'resources[1].sizeInMB must not be null',
    ]);
    expect(jsonErrors(() => task({ resources: [{ type: 'GPU', count: 1 }] }))[0]).toMatch(/^resources\[0\]\.type "GPU" is not a known type/);
  });

  it('refuses memory below the 6 MB every workload needs to start under its hard limit', () => {
    expect(commandErrors(() => task({ resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 5 }] }))).toEqual([
      'resources[1].sizeInMB must be greater than or equal to 6',
    ]);
    expect(task({ resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 6 }] }).resources).toHaveLength(2);
  });

  it('requires userSpec.user', () => {
    expect(task({ userSpec: { user: '1000', group: '1000' } }).userSpec).toEqual({ user: '1000', group: '1000' });
    expect(commandErrors(() => task({ userSpec: { group: 'g' } }))).toEqual(['userSpec.user must not be empty']);
  });
});

describe('configs', () => {
  it('parses every config type and applies HTTPCallSpec defaults', () => {
    const spec = task({
      configs: [
        { type: 'INLINE', localFilename: '/a', data: 'aGk=' },
        { type: 'EXECUTOR_LOCAL_FILE', localFilename: '/b', filePathOnHost: '/etc/hosts' },
        { type: 'CONTROLLER_HTTP_FETCH', localFilename: '/c', http: { hostname: 'cfg.local', protocol: 'https' } },
        { type: 'EXECUTOR_HTTP_FETCH', localFilename: '/d', http: { hostname: 'cfg.local', port: 8080, path: '/x?y=1', verb: 'post', successCodes: [201, 201] } },
      ],
    });
    expect(spec.configs?.[2]).toEqual({
      type: 'CONTROLLER_HTTP_FETCH', localFilename: '/c',
      http: {
        protocol: 'HTTPS', hostname: 'cfg.local', port: 443, path: '/', verb: 'GET', successCodes: [200],
        connectionTimeout: { count: 1, unit: 'seconds' }, operationTimeout: { count: 1, unit: 'seconds' }, insecure: false,
      },
    });
    expect(spec.configs?.[3]).toMatchObject({ http: { protocol: 'HTTP', port: 8080, path: '/x?y=1', verb: 'POST', successCodes: [201] } });
  });

  it('rejects bad Base64 as JSON, empty data and missing fields as command failures', () => {
    expect(jsonErrors(() => task({ configs: [{ type: 'INLINE', localFilename: '/a', data: 'not base64!' }] }))).toEqual([
      'configs[0].data: is not valid Base64 (standard alphabet, padded)',
    ]);
    expect(commandErrors(() => task({ configs: [{ type: 'INLINE', localFilename: '/a', data: '' }] }))).toEqual(['configs[0].data must not be empty']);
    expect(commandErrors(() => task({ configs: [{ type: 'CONTROLLER_HTTP_FETCH', localFilename: '/c', http: { port: 70000 } }] })).sort()).toEqual([
      'configs[0].http.hostname must not be empty', 'configs[0].http.port must be less than or equal to 65535',
    ]);
    expect(commandErrors(() => task({ configs: [{ type: 'EXECUTOR_LOCAL_FILE', localFilename: '/b' }] }))).toEqual([
      'configs[0].filePathOnHost must not be empty',
    ]);
  });
});

describe('placementPolicy', () => {
  it('parses every policy type, nested composites, and defaults the combiner to AND', () => {
    const policy = {
      type: 'COMPOSITE',
      policies: [{ type: 'MAX_N_PER_HOST', max: 64 }, { type: 'COMPOSITE', combiner: 'or', policies: [{ type: 'MATCH_TAG', tag: 'gpu' }, { type: 'NO_TAG' }] }],
    };
    expect(task({ placementPolicy: policy }).placementPolicy).toEqual({
      type: 'COMPOSITE', combiner: 'AND',
      policies: [{ type: 'MAX_N_PER_HOST', max: 64 }, { type: 'COMPOSITE', combiner: 'OR', policies: [{ type: 'MATCH_TAG', tag: 'gpu' }, { type: 'NO_TAG' }] }],
    });
    expect(task({ placementPolicy: { type: 'ONE_PER_HOST' } }).placementPolicy).toEqual({ type: 'ONE_PER_HOST' });
    expect(task({ placementPolicy: { type: 'RULE_BASED', rule: 'true', ruleType: 'hope' } }).placementPolicy).toMatchObject({ ruleType: 'HOPE' });
    expect(task({ placementPolicy: { type: 'LOCAL' } }).placementPolicy).toEqual({ type: 'LOCAL', hostLevel: false });
  });

  it('enforces MAX_N_PER_HOST 1–64, MATCH_TAG tag and COMPOSITE non-empty', () => {
    expect(commandErrors(() => task({ placementPolicy: { type: 'MAX_N_PER_HOST', max: 65 } }))).toEqual([
      'placementPolicy.max must be less than or equal to 64',
    ]);
    expect(commandErrors(() => task({ placementPolicy: { type: 'MAX_N_PER_HOST', max: 0 } }))).toEqual([
      'placementPolicy.max must be greater than or equal to 1',
    ]);
    expect(commandErrors(() => task({ placementPolicy: { type: 'MATCH_TAG' } }))).toEqual(['placementPolicy.tag must not be empty']);
    expect(commandErrors(() => task({ placementPolicy: { type: 'COMPOSITE', policies: [] } }))).toEqual(['placementPolicy.policies must not be empty']);
    expect(commandErrors(() => task({ placementPolicy: { type: 'COMPOSITE', policies: [{ type: 'MATCH_TAG', tag: '' }] } }))).toEqual([
      'placementPolicy.policies[0].tag must not be empty',
    ]);
  });
});

describe('healthcheck, readiness and preShutdown', () => {
  it('parses HTTP and CMD modes with defaults', () => {
    const spec = app({
      healthcheck: { mode: { type: 'CMD', command: 'test -f /ok' }, timeout: '1s', interval: '2s', attempts: 100 },
      readiness: { mode: { type: 'HTTP', portName: 'http', path: '/r', verb: 'put', successCodes: [200] }, timeout: '1s', interval: '2s', attempts: 1 },
    });
    expect(spec.healthcheck.mode).toEqual({ type: 'CMD', command: 'test -f /ok', shellDisabled: false });
    expect(spec.readiness.mode).toEqual({ type: 'HTTP', protocol: 'HTTP', portName: 'http', path: '/r', verb: 'PUT', successCodes: [200], insecure: false });
    expect(spec.healthcheck.initialDelay).toBeUndefined();
  });

  it('enforces attempts 1–100 and required check fields', () => {
    const check = (fields: Record<string, unknown>) => ({ mode: { type: 'CMD', command: 'true' }, timeout: '1s', interval: '1s', attempts: 3, ...fields });
    expect(commandErrors(() => app({ healthcheck: check({ attempts: 101 }) }))).toEqual(['healthcheck.attempts must be less than or equal to 100']);
    expect(commandErrors(() => app({ healthcheck: check({ attempts: 0 }) }))).toEqual(['healthcheck.attempts must be greater than or equal to 1']);
    expect(commandErrors(() => app({ readiness: check({ mode: undefined, interval: undefined }) })).sort()).toEqual([
      'readiness.interval must not be null', 'readiness.mode must not be null',
    ]);
    expect(commandErrors(() => app({ readiness: check({ mode: { type: 'HTTP', portName: 'http', verb: 'GET', successCodes: [] } }) })).sort()).toEqual([
      'readiness.mode.path must not be empty', 'readiness.mode.successCodes must not be empty',
    ]);
    expect(commandErrors(() => app({ healthcheck: undefined }))).toEqual(['healthcheck must not be null']);
    expect(jsonErrors(() => app({ healthcheck: check({ mode: { type: 'TCP' } }) }))[0]).toMatch(/^healthcheck\.mode\.type "TCP" is not a known type/);
  });

  it('parses pre-shutdown hooks and validates them like check modes', () => {
    expect(app({ preShutdown: { waitBeforeKill: '10s' } }).preShutdown).toEqual({ hooks: [], waitBeforeKill: { count: 10, unit: 'seconds' } });
    expect(commandErrors(() => app({ preShutdown: { hooks: [{ type: 'CMD' }] } }))).toEqual(['preShutdown.hooks[0].command must not be empty']);
  });
});

describe('logging, exposure, devices, args', () => {
  it('parses LOCAL and RSYSLOG logging and enforces maxFiles 1–100', () => {
    expect(task({ logging: { type: 'LOCAL', maxSize: '1g', maxFiles: 100 } }).logging).toEqual({ type: 'LOCAL', maxSize: '1g', maxFiles: 100, compress: false });
    expect(task({ logging: { type: 'RSYSLOG', server: 'tcp://log:514', tagPrefix: 'p' } }).logging).toEqual({ type: 'RSYSLOG', server: 'tcp://log:514', tagPrefix: 'p' });
    expect(commandErrors(() => task({ logging: { type: 'LOCAL', maxSize: '10m', maxFiles: 101 } }))).toEqual(['logging.maxFiles must be less than or equal to 100']);
    expect(commandErrors(() => task({ logging: { type: 'LOCAL', maxFiles: 0 } })).sort()).toEqual([
      'logging.maxFiles must be greater than or equal to 1', 'logging.maxSize must not be empty',
    ]);
    expect(commandErrors(() => task({ logging: { type: 'RSYSLOG' } }))).toEqual(['logging.server must not be empty']);
    // A size the executor's rotation cannot use is refused at submit, not at the first start.
    expect(commandErrors(() => task({ logging: { type: 'LOCAL', maxSize: 'ten megs', maxFiles: 3 } }))).toEqual([
      'logging.maxSize "ten megs" is not a size (use a number with an optional k, m or g unit, e.g. "10m")',
    ]);
    expect(commandErrors(() => task({ logging: { type: 'LOCAL', maxSize: '0k', maxFiles: 3 } }))).toEqual(['logging.maxSize "0k" must be greater than zero']);
  });

  it('parses exposure with mode default ALL and requires vhost', () => {
    expect(app({ exposureSpec: { vhost: 'o.local', portName: 'http' } }).exposureSpec).toEqual({ vhost: 'o.local', portName: 'http', mode: 'ALL' });
    expect(commandErrors(() => app({ exposureSpec: { portName: 'http' } }))).toEqual(['exposureSpec.vhost must not be empty']);
  });

  it('parses DIRECT and DETAILED devices', () => {
    expect(task({ devices: [{ type: 'DIRECT', pathOnHost: '/dev/fuse', permissions: 'read_write' }, { type: 'DETAILED', driver: 'nvidia', count: -1, capabilities: [['gpu']] }] }).devices).toEqual([
      { type: 'DIRECT', pathOnHost: '/dev/fuse', permissions: 'READ_WRITE' },
      { type: 'DETAILED', driver: 'nvidia', count: -1, capabilities: [['gpu']] },
    ]);
    expect(task({ devices: [{ type: 'DIRECT', pathOnHost: '/dev/fuse' }] }).devices?.[0]).toMatchObject({ permissions: 'ALL' });
    expect(commandErrors(() => task({ devices: [{ type: 'DIRECT' }] }))).toEqual(['devices[0].pathOnHost must not be empty']);
  });

  it('accepts 2048 args and rejects 2049', () => {
    expect(task({ args: Array.from({ length: 2048 }, () => 'a') }).args).toHaveLength(2048);
    expect(commandErrors(() => task({ args: Array.from({ length: 2049 }, () => 'a') }))).toEqual(['args size must be between 0 and 2048']);
    expect(jsonErrors(() => task({ args: ['a', 1] }))).toEqual(['args[1]: expected a JSON string, got number 1']);
  });
});
