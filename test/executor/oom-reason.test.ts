/**
 * What an OOM kill reads like in the record the controller gets, for tasks and app instances
 * alike. (How the drivers learn it — cgroup OOM counters, the engine's OOMKilled — is shown on
 * real processes and containers in process-isolation.test.ts, cgroup-layouts.test.ts and the
 * docker tests.)
 */
import { describe, expect, it } from 'vitest';
import { instanceLifecycle, taskLifecycle } from '../../src/executor/runner/workload-lifecycle.ts';
import { newWorkloadRecord } from '../../src/executor/state/workload-record.ts';
import { appSpec, taskSpec } from './helpers/specs.ts';

const allocation = { numaNode: '0', cores: [1], memoryMB: 64 };
const OOM = { exitCode: 137, signal: 'SIGKILL', oom: { limitMb: 64 } };

describe('OOM kills', () => {
  it('a task ends FAILED with "OOM killed: limit 64 MB", not a bare exit 137', () => {
    const record = newWorkloadRecord({ kind: 'task', instanceId: 'TI-1', spec: taskSpec('/bin/x'), allocation, killTimeoutMs: 1000, now: 0 });
    record.state = 'RUNNING';
    taskLifecycle.applyExit(record, OOM);
    expect(record.taskResult).toEqual({ status: 'FAILED', exitCode: 137 });
    expect(record.errorMessage).toBe('OOM killed: limit 64 MB (exit code 137)');
  });

  it('an instance says it too, before and after it became ready', () => {
    const early = newWorkloadRecord({ kind: 'instance', instanceId: 'AI-1', spec: appSpec('/bin/x', []), allocation, killTimeoutMs: 1000, now: 0 });
    early.state = 'UNREADY';
    instanceLifecycle.applyExit(early, OOM);
    expect(early).toMatchObject({ state: 'START_FAILED', errorMessage: 'Instance process exited before becoming ready: OOM killed: limit 64 MB (exit code 137)' });
    const late = newWorkloadRecord({ kind: 'instance', instanceId: 'AI-2', spec: appSpec('/bin/x', []), allocation, killTimeoutMs: 1000, now: 0 });
    late.state = 'HEALTHY';
    instanceLifecycle.applyExit(late, OOM);
    expect(late).toMatchObject({ state: 'UNHEALTHY', errorMessage: 'Instance process exited unexpectedly: OOM killed: limit 64 MB (exit code 137)' });
  });
});
