/** Task and app specs as the controller would send them (already parsed), for executor tests. */
import { randomUUID } from 'node:crypto';
import type { ApplicationSpec } from '../../../src/api/app-types.ts';
import type { CheckModeSpec, CheckSpec } from '../../../src/api/spec-types.ts';
import type { TaskSpec } from '../../../src/api/task-types.ts';
import { duration } from '../../../src/common/durations.ts';
import type { FakeController } from './fake-controller.ts';

export function taskSpec(command: string, args: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    sourceAppName: 'test-app',
    taskId: `t-${randomUUID().slice(0, 8)}`,
    executable: { type: 'PROCESS', command },
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    args,
    ...extra,
  };
}

/** Sends startTask; returns the new instance id. */
export function startTask(controller: FakeController, spec: TaskSpec, killTimeoutMs = 2_000): string {
  const instanceId = `TI-${randomUUID()}`;
  controller.send({ type: 'startTask', instanceId, spec, allocation: { numaNode: '0', cores: [0], memoryMB: 64 }, killTimeoutMs });
  return instanceId;
}

export function httpMode(path: string, extra: Partial<Extract<CheckModeSpec, { type: 'HTTP' }>> = {}): CheckModeSpec {
  return { type: 'HTTP', protocol: 'HTTP', portName: 'http', path, verb: 'GET', successCodes: [200], insecure: false, ...extra };
}

export function check(mode: CheckModeSpec, overrides: Partial<{ interval: string; attempts: number; timeout: string; initialDelay: string }> = {}): CheckSpec {
  return {
    mode,
    timeout: duration(overrides.timeout ?? '1s'),
    interval: duration(overrides.interval ?? '100ms'),
    attempts: overrides.attempts ?? 50,
    ...(overrides.initialDelay ? { initialDelay: duration(overrides.initialDelay) } : {}),
  };
}

export function appSpec(command: string, args: string[], extra: Partial<ApplicationSpec> = {}): ApplicationSpec {
  return {
    name: 'web',
    version: '1',
    type: 'SERVICE',
    executable: { type: 'PROCESS', command },
    exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    readiness: check(httpMode('/ready')),
    healthcheck: check(httpMode('/health')),
    args,
    ...extra,
  };
}

export function startInstance(controller: FakeController, spec: ApplicationSpec, killTimeoutMs = 2_000): string {
  const instanceId = `AI-${randomUUID()}`;
  controller.send({
    type: 'startInstance', instanceId, appId: `${spec.name}-${spec.version}`, spec,
    allocation: { numaNode: '0', cores: [0], memoryMB: 64 }, killTimeoutMs,
  });
  return instanceId;
}
