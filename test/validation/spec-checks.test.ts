/**
 * Controller-level spec checks (docs/api.md §6.16, §6.9, §6.12, §6.13): verbatim messages, run after
 * the field constraints when limits are passed to the parse functions.
 */
import { describe, expect, it } from 'vitest';
import {
  checkAppSpec, checkTaskSpec, isMountAllowed, parseAppOperation, parseAppSpec, parseTaskOperation, parseTaskSpec, type SpecLimits,
} from '../../src/api/validation/index.ts';
import { defaultControllerConfig } from '../../src/controller/config.ts';
import { appCreate, appSpec, commandErrors, processAppSpec, taskCreate, taskSpec } from './fixtures.ts';

const OPEN: SpecLimits = { allowedMountDirs: [], enableRawDeviceAccess: true, disableCmdlArgs: false };
const STRICT: SpecLimits = { allowedMountDirs: ['/mnt/allowed/'], enableRawDeviceAccess: false, disableCmdlArgs: true };

// field constraints only (limits null), so the checks can be called on specs that fail them
const app = (fields: Record<string, unknown>) => parseAppSpec({ ...appSpec(), ...fields }, null);
const task = (fields: Record<string, unknown>) => parseTaskSpec({ ...taskSpec(), ...fields }, null);

describe('checkAppSpec', () => {
  it('passes the §6.1 example and a PROCESS spec', () => {
    expect(checkAppSpec(parseAppSpec(appSpec()), OPEN)).toEqual([]);
    expect(checkAppSpec(parseAppSpec(processAppSpec()), OPEN)).toEqual([]);
  });

  it('accepts a ControllerConfig as limits', () => {
    expect(checkAppSpec(parseAppSpec(appSpec()), defaultControllerConfig())).toEqual([]);
  });

  it('rejects a health/readiness port name that is not exposed, listing ports like Java', () => {
    const spec = app({ exposedPorts: [{ name: 'main', port: 80, type: 'HTTP' }, { name: 'admin', port: 81, type: 'HTTP' }], exposureSpec: undefined });
    expect(checkAppSpec(spec, OPEN)).toEqual(['Invalid port name for health check: http. Available ports: [main, admin]']);
  });

  it('rejects an exposure port name that is not exposed', () => {
    const spec = app({ exposureSpec: { vhost: 'o.local', portName: 'web' } });
    expect(checkAppSpec(spec, OPEN)).toEqual(['Exposed port name web is undefined. Defined port names: [http]']);
  });

  it('requires CPU and MEMORY', () => {
    expect(checkAppSpec(app({ resources: [{ type: 'MEMORY', sizeInMB: 16 }] }), OPEN)).toEqual(['Cpu requirements are mandatory']);
    expect(checkAppSpec(app({ resources: [{ type: 'CPU', count: 1 }] }), OPEN)).toEqual(['Memory requirements are mandatory']);
  });

  it('applies the volume whitelist, args, device and placement rules', () => {
    const spec = app({
      volumes: [{ pathInContainer: '/a', pathOnHost: '/mnt/allowed/x', mode: 'READ_ONLY' }, { pathInContainer: '/b', pathOnHost: '/etc', mode: 'READ_ONLY' }],
      devices: [{ type: 'DIRECT', pathOnHost: '/dev/fuse' }],
      placementPolicy: { type: 'COMPOSITE', policies: [{ type: 'LOCAL' }, { type: 'RULE_BASED', rule: 'x', ruleType: 'MVEL' }] },
    });
    expect(checkAppSpec(spec, STRICT)).toEqual([
      'Volume mount requested on non whitelisted host directory: /etc',
      'Passing command line to containers is disabled on this cluster',
      'Device access is disabled. To enable, set enableRawDeviceAccess: true in controller options.',
      'Local service placement is not allowed for apps',
      'RULE_BASED ruleType MVEL is not supported: corral evaluates HOPE rules only (ruleType: HOPE)',
    ]);
    expect(checkAppSpec(app({ devices: [{ type: 'DIRECT', pathOnHost: '/dev/fuse' }] }), OPEN)).toEqual([]);
  });

  it('limits the space-joined args to 2048 characters', () => {
    expect(checkAppSpec(app({ args: ['a'.repeat(1024), 'b'.repeat(1023)] }), OPEN)).toEqual([]);
    expect(checkAppSpec(app({ args: ['a'.repeat(1024), 'b'.repeat(1024)] }), OPEN)).toEqual([
      'Maximum combined length of command line arguments can be 2048',
    ]);
    expect(checkAppSpec(app({ args: [], volumes: undefined }), STRICT)).toEqual([]);
  });
});

describe('checkTaskSpec', () => {
  it('passes the §6.2 example', () => {
    expect(checkTaskSpec(parseTaskSpec(taskSpec()), STRICT)).toEqual([]);
  });

  it('rejects LOCAL placement, RULE_BASED rules that do not compile or read nothing, whitelisted volumes and devices', () => {
    expect(checkTaskSpec(task({ placementPolicy: { type: 'LOCAL', hostLevel: true } }), OPEN)).toEqual(['Local service placement is not allowed for tasks']);
    expect(checkTaskSpec(task({ placementPolicy: { type: 'RULE_BASED', rule: 'r', ruleType: 'HOPE' } }), OPEN)).toEqual([
      'Rule compilation error: Error parsing expression: Line 1, col 2: expected ".", "_", or an alpha-numeric character',
    ]);
    expect(checkTaskSpec(task({ placementPolicy: { type: 'RULE_BASED', rule: '"/zone" == "z1"', ruleType: 'HOPE' } }), OPEN)).toEqual([
      'Rule reads /zone, which placement never provides: a rule sees /executorNodeId, /allocatedExecutorNodeMetadata, /allExecutorMetadata, /applicationEnvironment',
    ]);
    expect(checkTaskSpec(task({ placementPolicy: { type: 'RULE_BASED', rule: '"/allocatedExecutorNodeMetadata/zone" == "z1"', ruleType: 'HOPE' } }), OPEN)).toEqual([]);
    expect(checkTaskSpec(task({ volumes: [{ pathInContainer: '/a', pathOnHost: '/mnt/allowed2', mode: 'READ_ONLY' }] }), STRICT)).toEqual([
      'Volume mount requested on non whitelisted host directory: /mnt/allowed2',
    ]);
    expect(checkTaskSpec(task({ args: ['x'], devices: [{ type: 'DETAILED' }] }), STRICT)).toEqual([
      'Passing command line to containers is disabled on this cluster',
      'Device access is disabled. To enable, set enableRawDeviceAccess: true in controller options.',
    ]);
  });
});

describe('EXECUTOR_LOCAL_FILE configs and allowedMountDirs (docs/security.md)', () => {
  const hostFile = (filePathOnHost: string) => ({ type: 'EXECUTOR_LOCAL_FILE', localFilename: '/etc/app.yml', filePathOnHost });

  it('refuses a host file outside the whitelisted directories, for apps and tasks alike', () => {
    const configs = [hostFile('/mnt/allowed/app.yml'), hostFile('/var/lib/corral/controller.db'), hostFile('/mnt/allowed/../../etc/shadow')];
    const expected = [
      'Config file requested from non whitelisted host directory: /var/lib/corral/controller.db',
      'Config file requested from non whitelisted host directory: /mnt/allowed/../../etc/shadow',
    ];
    expect(checkTaskSpec(task({ configs }), { ...OPEN, allowedMountDirs: ['/mnt/allowed'] })).toEqual(expected);
    expect(checkAppSpec(app({ configs, volumes: [] }), { ...OPEN, allowedMountDirs: ['/mnt/allowed'] })).toEqual(expected);
  });

  it('allows any host file when no directories are whitelisted', () => {
    expect(checkTaskSpec(task({ configs: [hostFile('/etc/hostname')] }), OPEN)).toEqual([]);
  });
});

describe('PROCESS paths inside the task directory', () => {
  const processTask = (fields: Record<string, unknown>) => task({ executable: { type: 'PROCESS', command: '/bin/true' }, ...fields });

  it('refuses configs and volumes whose path climbs out of the task directory', () => {
    expect(checkTaskSpec(processTask({
      configs: [{ type: 'INLINE', localFilename: '../../../etc/evil', data: 'aGk=' }, { type: 'INLINE', localFilename: '/etc/app.yml', data: 'aGk=' }],
      volumes: [{ pathInContainer: 'a/../../up', pathOnHost: '/mnt/x', mode: 'READ_ONLY' }],
    }), OPEN)).toEqual([
      'config INLINE: "../../../etc/evil" escapes the task directory',
      'volume: "a/../../up" escapes the task directory',
    ]);
    const app = parseAppSpec({ ...processAppSpec(), configs: [{ type: 'INLINE', localFilename: '/../x', data: 'aGk=' }] }, null);
    expect(checkAppSpec(app, OPEN)).toEqual(['config INLINE: "/../x" escapes the task directory']);
  });

  it('leaves DOCKER paths alone: they are paths inside the container', () => {
    expect(checkTaskSpec(task({ configs: [{ type: 'INLINE', localFilename: '../x', data: 'aGk=' }] }), OPEN)).toEqual([]);
  });
});

describe('isMountAllowed', () => {
  it('matches whole path components and resolves ..', () => {
    expect(isMountAllowed('/anything', [])).toBe(true);
    expect(isMountAllowed('/mnt/data', ['/mnt/data'])).toBe(true);
    expect(isMountAllowed('/mnt/data/sub', ['/mnt/data/'])).toBe(true);
    expect(isMountAllowed('/mnt/database', ['/mnt/data'])).toBe(false);
    expect(isMountAllowed('/mnt/data/../../etc', ['/mnt/data'])).toBe(false);
    expect(isMountAllowed('relative/path', ['/'])).toBe(false);
  });
});

describe('parse functions with limits', () => {
  it('run the checks on app CREATE only after the field constraints pass', () => {
    const spec = { ...appSpec(), placementPolicy: { type: 'LOCAL' } };
    expect(commandErrors(() => parseAppOperation(appCreate(spec), OPEN))).toEqual(['Local service placement is not allowed for apps']);
    expect(() => parseAppOperation(appCreate(spec), null)).not.toThrow();
    expect(commandErrors(() => parseAppOperation({ ...appCreate(spec), instances: -1 }, OPEN))).toEqual(['instances must be greater than or equal to 0']);
    expect(commandErrors(() => parseAppSpec({ ...appSpec(), exposureSpec: { vhost: 'v', portName: 'x' } }, OPEN))).toEqual([
      'Exposed port name x is undefined. Defined port names: [http]',
    ]);
  });

  it('run the option-free checks when no limits are given', () => {
    const spec = { ...appSpec(), volumes: [{ pathInContainer: '/a', pathOnHost: '/etc', mode: 'READ_ONLY' }], devices: [{ type: 'DETAILED' }],
      readiness: { mode: { type: 'HTTP', portName: 'admin', path: '/', verb: 'GET', successCodes: [200] }, timeout: '1s', interval: '1s', attempts: 1 } };
    expect(commandErrors(() => parseAppOperation(appCreate(spec)))).toEqual(['Invalid port name for health check: admin. Available ports: [http]']);
    expect(commandErrors(() => parseTaskSpec({ ...taskSpec(), placementPolicy: { type: 'RULE_BASED', rule: 'r', ruleType: 'MVEL' } }))).toEqual([
      'RULE_BASED ruleType MVEL is not supported: corral evaluates HOPE rules only (ruleType: HOPE)',
    ]);
    expect(commandErrors(() => parseTaskSpec({ ...taskSpec(), resources: [{ type: 'CPU', count: 1 }] }))).toEqual(['Memory requirements are mandatory']);
  });

  it('run the checks on task CREATE and task validate', () => {
    const spec = { ...taskSpec(), placementPolicy: { type: 'LOCAL' } };
    expect(commandErrors(() => parseTaskOperation(taskCreate(spec), OPEN))).toEqual(['Local service placement is not allowed for tasks']);
    expect(commandErrors(() => parseTaskSpec(spec, OPEN))).toEqual(['Local service placement is not allowed for tasks']);
    expect(parseTaskOperation({ type: 'KILL', sourceAppName: 'a', taskId: 'b', opSpec: taskCreate().opSpec }, STRICT).type).toBe('KILL');
  });
});
