/**
 * Rendering parsed specs back to wire JSON (docs/api.md §1.8.2 output form, §2.8.3 masking, §3.7
 * TaskInfo executable/loggingSpec) and parse → render → parse round trips.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOGGING, parseAppSpec, parseTaskSpec, renderAppSpec, renderExecutable, renderLoggingSpec, renderOpSpec, renderTaskSpec,
} from '../../src/api/validation/index.ts';
import { stringifyWithoutNulls } from '../../src/common/envelope.ts';
import { appSpec, processAppSpec, taskSpec } from './fixtures.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const wire = (value: unknown): Json => JSON.parse(stringifyWithoutNulls(value));

describe('durations in output form', () => {
  it('renders the unit the client used, in full, singular for 1', () => {
    const cases: [string, string][] = [['5m', '5 minutes'], ['1s', '1 second'], ['90 seconds', '90 seconds'], ['0s', '0 seconds'],
      ['1 seconds', '1 second'], ['15 min', '15 minutes'], ['2 days', '2 days'], ['1h', '1 hour'], ['250ms', '250 milliseconds']];
    for (const [input, output] of cases) {
      const executable = parseTaskSpec({ ...taskSpec(), executable: { url: 'x:1', dockerPullTimeout: input } }).executable;
      expect(renderExecutable(executable)).toEqual({ type: 'DOCKER', url: 'x:1', dockerPullTimeout: output });
    }
  });

  it('renders op specs', () => {
    expect(renderOpSpec({ timeout: { count: 5, unit: 'minutes' }, parallelism: 2, failureStrategy: 'STOP' })).toEqual({
      timeout: '5 minutes', parallelism: 2, failureStrategy: 'STOP',
    });
  });
});

describe('renderAppSpec', () => {
  it('renders the §6.1 example with long durations, masked INLINE data and written booleans', () => {
    const out = wire(renderAppSpec(parseAppSpec(appSpec())));
    expect(out.executable).toEqual({ type: 'DOCKER', url: 'registry.local/orders:3.0.1', dockerPullTimeout: '100 seconds' });
    expect(out.configs).toEqual([{ type: 'INLINE', localFilename: '/etc/orders/app.yml', data: '' }]);
    expect(out.healthcheck).toEqual({
      mode: { type: 'HTTP', protocol: 'HTTP', portName: 'http', path: '/health', verb: 'GET', successCodes: [200], connectionTimeout: '1 second', insecure: false },
      timeout: '1 second', interval: '5 seconds', attempts: 3, initialDelay: '0 seconds',
    });
    expect(out.readiness).not.toHaveProperty('initialDelay');
    expect(out.readiness.mode).not.toHaveProperty('connectionTimeout');
    expect(out.preShutdown.waitBeforeKill).toBe('3 seconds');
    expect(out.logging).toEqual({ type: 'LOCAL', maxSize: '100m', maxFiles: 3, compress: true });
    expect(out.exposureSpec).toEqual({ vhost: 'orders.internal', portName: 'http', mode: 'ALL' });
    expect(Object.keys(out)).not.toContain('devices');
    expect(Object.keys(out)).not.toContain('userSpec');
  });

  it('writes CMD shellDisabled and masks HTTP-fetch credentials that were set', () => {
    const spec = parseAppSpec({
      ...processAppSpec(),
      configs: [{ type: 'EXECUTOR_HTTP_FETCH', localFilename: '/c', http: { hostname: 'h', username: 'u', password: 'p', authHeader: 'Bearer x' } },
        { type: 'CONTROLLER_HTTP_FETCH', localFilename: '/d', http: { hostname: 'h' } }],
    });
    const out = wire(renderAppSpec(spec));
    expect(out.healthcheck.mode).toEqual({ type: 'CMD', command: 'true', shellDisabled: false });
    expect(out.configs[0].http).toMatchObject({ username: '***', password: '***', authHeader: '***', insecure: false, connectionTimeout: '1 second' });
    expect(out.configs[1].http).not.toHaveProperty('username');
    expect(out.executable).toEqual({ type: 'PROCESS', command: '/usr/bin/python3' });
  });

  it('round-trips: render → parse gives the same spec (INLINE data aside)', () => {
    const original = parseAppSpec({ ...appSpec(), configs: undefined, devices: [{ type: 'DETAILED', driver: 'nvidia', capabilities: [['gpu']] }],
      placementPolicy: { type: 'COMPOSITE', combiner: 'OR', policies: [{ type: 'MAX_N_PER_HOST', max: 2 }, { type: 'MATCH_TAG', tag: 'ssd' }] },
      userSpec: { user: 'app' } });
    expect(parseAppSpec(wire(renderAppSpec(original)))).toEqual(original);
    const proc = parseAppSpec(processAppSpec());
    expect(parseAppSpec(wire(renderAppSpec(proc)))).toEqual(proc);
  });
});

describe('renderTaskSpec, renderExecutable, renderLoggingSpec', () => {
  it('round-trips a task spec with node filter and maxRunDuration', () => {
    const original = parseTaskSpec({
      ...taskSpec(), maxRunDuration: '30m', logging: { type: 'RSYSLOG', server: 'log:514' },
      nodeFilter: { filterSetType: 'union', filterSet: [{ filterType: 'intersection', nodeNames: ['a'], nodeLabels: { c: 'y' } }] },
      configs: [{ type: 'EXECUTOR_LOCAL_FILE', localFilename: '/x', filePathOnHost: '/y' }],
    });
    const out = wire(renderTaskSpec(original));
    expect(out.maxRunDuration).toBe('30 minutes');
    expect(out.logging).toEqual({ type: 'RSYSLOG', server: 'log:514' });
    expect(parseTaskSpec(out)).toEqual(original);
  });

  it('renders a PROCESS executable as given', () => {
    expect(renderExecutable({ type: 'PROCESS', command: '/bin/echo' })).toEqual({ type: 'PROCESS', command: '/bin/echo' });
  });

  it('defaults the logging spec to LOCAL 10m/3/compressed', () => {
    expect(renderLoggingSpec()).toEqual({ type: 'LOCAL', maxSize: '10m', maxFiles: 3, compress: true });
    expect(renderLoggingSpec(undefined)).toEqual(renderLoggingSpec(DEFAULT_LOGGING));
    expect(renderLoggingSpec({ type: 'LOCAL', maxSize: '1g', maxFiles: 5, compress: false })).toEqual({ type: 'LOCAL', maxSize: '1g', maxFiles: 5, compress: false });
  });
});
