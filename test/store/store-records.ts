/** Record builders for the store tests: complete, realistic records with overridable fields. */
import type { AppRecord, InstanceRecord } from '../../src/api/app-types.ts';
import type { ClusterEvent, ExecutorRecord } from '../../src/api/cluster-types.ts';
import type { OperationRecord } from '../../src/api/operation-types.ts';
import type { TaskRecord } from '../../src/api/task-types.ts';

export const T0 = 1_700_000_000_000;

export function taskRecord(overrides: Partial<TaskRecord> = {}): TaskRecord {
  const sourceAppName = overrides.sourceAppName ?? 'batch';
  const taskId = overrides.taskId ?? 't1';
  return {
    sourceAppName,
    taskId,
    instanceId: `TI-${sourceAppName}-${taskId}`,
    spec: {
      sourceAppName,
      taskId,
      executable: { type: 'PROCESS', command: '/bin/true' },
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 128 }],
      env: { GREETING: 'héllo "quoted" \\ back' },
      args: ['--flag', 'ünïcödé ✓'],
      maxRunDuration: { count: 30, unit: 'seconds' },
    },
    opSpec: { timeout: { count: 300, unit: 'seconds' }, parallelism: 1, failureStrategy: 'STOP' },
    executorId: 'ex-1',
    hostname: 'host-1',
    resources: [{ type: 'CPU', cores: { '0': [1] } }, { type: 'MEMORY', memoryInMB: { '0': 128 } }],
    state: 'PENDING',
    errorMessage: '',
    metadata: { owner: 'team-a' },
    created: T0,
    updated: T0,
    events: [{ time: T0, type: 'Received', message: 'accepted' }],
    ...overrides,
  } as TaskRecord;
}

export function appRecord(overrides: Partial<AppRecord> = {}): AppRecord {
  const appId = overrides.appId ?? 'web-1';
  return {
    appId,
    spec: {
      name: appId.replace(/-\d+$/, ''),
      version: '1',
      type: 'SERVICE',
      executable: { type: 'DOCKER', url: 'localhost/web:1', dockerPullTimeout: { count: 100, unit: 'seconds' } },
      exposedPorts: [{ name: 'main', port: 8000, type: 'HTTP' }],
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
      healthcheck: {
        mode: { type: 'HTTP', protocol: 'HTTP', portName: 'main', path: '/', verb: 'GET', successCodes: [200], insecure: false },
        timeout: { count: 1, unit: 'seconds' }, interval: { count: 3, unit: 'seconds' }, attempts: 3,
      },
      readiness: {
        mode: { type: 'HTTP', protocol: 'HTTP', portName: 'main', path: '/', verb: 'GET', successCodes: [200], insecure: false },
        timeout: { count: 1, unit: 'seconds' }, interval: { count: 3, unit: 'seconds' }, attempts: 3,
      },
      tags: { tier: 'front' },
    },
    state: 'MONITORING',
    requiredInstances: 0,
    created: T0,
    updated: T0,
    createdBy: 'admin',
    ...overrides,
  } as AppRecord;
}

export function instanceRecord(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  const appId = overrides.appId ?? 'web-1';
  return {
    appId,
    appName: appId.replace(/-\d+$/, ''),
    instanceId: 'AI-1',
    executorId: 'ex-1',
    localInfo: { hostname: 'host-1', ports: { main: { containerPort: 8000, hostPort: 32001, portType: 'HTTP' } } },
    state: 'HEALTHY',
    metadata: {},
    errorMessage: '',
    created: T0,
    updated: T0,
    operationId: 'OP-1',
    ...overrides,
  };
}

export function operationRecord(overrides: Partial<OperationRecord> = {}): OperationRecord {
  return {
    operationId: 'OP-1',
    type: 'SCALE',
    target: { kind: 'app', appId: 'web-1' },
    opSpec: { timeout: { count: 300, unit: 'seconds' }, parallelism: 2, failureStrategy: 'STOP' },
    state: 'QUEUED',
    createdBy: 'admin',
    created: T0,
    updated: T0,
    progress: { total: 2, done: 0, failed: 0, inFlight: 0 },
    messages: [{ time: T0, message: 'queued' }],
    request: { type: 'SCALE', appId: 'web-1', requiredInstances: 2 },
    ...overrides,
  } as OperationRecord;
}

export function executorRecord(overrides: Partial<ExecutorRecord> = {}): ExecutorRecord {
  return {
    executorId: 'ex-1',
    hostname: 'host-1',
    port: 3000,
    transportType: 'HTTP',
    name: 'host-1',
    tags: ['gpu'],
    labels: { zone: 'a' },
    layout: { cores: { '0': [0, 1, 2, 3] }, memory: { '0': 4096 } },
    drivers: ['PROCESS'],
    version: '0.1.0',
    executorState: 'ACTIVE',
    lastSeen: T0,
    updated: T0,
    ...overrides,
  };
}

export function clusterEvent(overrides: Partial<ClusterEvent> = {}): ClusterEvent {
  return { type: 'APP_STATE_CHANGE', id: 'ev-1', time: T0, metadata: { appId: 'web-1', state: 'RUNNING', count: 1 }, ...overrides };
}
