/**
 * Valid request bodies and error-capturing helpers for the validation tests. Fixtures are plain
 * JSON (as a client sends them); each test copies and breaks exactly one thing.
 */
import { expect } from 'vitest';
import { CommandValidationError, JsonValidationError } from '../../src/common/errors.ts';

export type Body = Record<string, unknown>;

export const OP_SPEC = { timeout: '5m', parallelism: 1, failureStrategy: 'STOP' };

/** docs/api.md §6.1's example ApplicationSpec, verbatim. */
export function appSpec(): Body {
  return {
    name: 'orders', version: '3', type: 'SERVICE',
    executable: { type: 'DOCKER', url: 'registry.local/orders:3.0.1', dockerPullTimeout: '100 seconds' },
    exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
    volumes: [{ pathInContainer: '/data', pathOnHost: '/mnt/orders', mode: 'READ_WRITE' }],
    configs: [{ type: 'INLINE', localFilename: '/etc/orders/app.yml', data: 'cG9ydDogODA4MAo=' }],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 512 }],
    placementPolicy: { type: 'ANY' },
    healthcheck: {
      mode: { type: 'HTTP', protocol: 'HTTP', portName: 'http', path: '/health', verb: 'GET', successCodes: [200], connectionTimeout: '1 second' },
      timeout: '1 second', interval: '5 seconds', attempts: 3, initialDelay: '0 seconds',
    },
    readiness: {
      mode: { type: 'HTTP', protocol: 'HTTP', portName: 'http', path: '/ready', verb: 'GET', successCodes: [200] },
      timeout: '1 second', interval: '3 seconds', attempts: 10,
    },
    exposureSpec: { vhost: 'orders.internal', portName: 'http', mode: 'ALL' },
    preShutdown: {
      hooks: [{ type: 'HTTP', protocol: 'HTTP', portName: 'http', path: '/drain', verb: 'POST', successCodes: [200, 204] }],
      waitBeforeKill: '3 seconds',
    },
    logging: { type: 'LOCAL', maxSize: '100m', maxFiles: 3, compress: true },
    env: { JAVA_OPTS: '-Xmx384m' },
    args: ['--mode', 'server'],
    tags: { team: 'checkout' },
  };
}

/** docs/api.md §6.2's example TaskSpec, verbatim. */
export function taskSpec(): Body {
  return {
    sourceAppName: 'orders', taskId: 'rollup-42',
    executable: { type: 'DOCKER', url: 'registry.local/rollup:1.4', dockerPullTimeout: '100 seconds' },
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 512 }],
    volumes: [], placementPolicy: { type: 'ANY' },
    env: { ITERATIONS: '10' }, args: [], tags: { kind: 'batch' },
  };
}

/** A minimal app spec with a PROCESS executable and CMD checks. */
export function processAppSpec(): Body {
  return {
    name: 'TEST_APP', version: '1', type: 'SERVICE',
    executable: { type: 'PROCESS', command: '/usr/bin/python3' },
    exposedPorts: [{ name: 'main', port: 8000, type: 'HTTP' }],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 128 }],
    healthcheck: { mode: { type: 'CMD', command: 'true' }, timeout: '1s', interval: '5s', attempts: 3 },
    readiness: { mode: { type: 'HTTP', portName: 'main', path: '/', verb: 'GET', successCodes: [200] }, timeout: '1s', interval: '1s', attempts: 10 },
    args: ['-m', 'http.server', '8000'],
  };
}

export function appCreate(spec: Body = appSpec()): Body {
  return { type: 'CREATE', spec, opSpec: { ...OP_SPEC } };
}

export function taskCreate(spec: Body = taskSpec()): Body {
  return { type: 'CREATE', spec, opSpec: { ...OP_SPEC } };
}

function capture(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a validation error, but the body was accepted');
}

/** Runs `fn`, asserts it threw a JsonValidationError, returns its messages. */
export function jsonErrors(fn: () => unknown): string[] {
  const error = capture(fn);
  expect(error).toBeInstanceOf(JsonValidationError);
  return (error as JsonValidationError).validationErrors;
}

/** Runs `fn`, asserts it threw a CommandValidationError, returns its messages. */
export function commandErrors(fn: () => unknown): string[] {
  const error = capture(fn);
  expect(error).toBeInstanceOf(CommandValidationError);
  return (error as CommandValidationError).validationErrors;
}
