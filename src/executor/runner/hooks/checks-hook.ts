/**
 * Poststart hook (app instances): readiness, then periodic health checks, in the background
 * for as long as the instance runs (the poststart signal ends when it stops, exits or the
 * agent shuts down). Drives UNREADY → READY → HEALTHY, and READINESS_CHECK_FAILED / UNHEALTHY
 * through `workload.fail`, which has the runner stop the instance.
 */
import type { ApplicationSpec } from '../../../api/app-types.ts';
import { isAbortError } from '../../abort-utils.ts';
import { runHealth, runReadiness } from '../../checks/check-loop.ts';
import type { ProbeTarget } from '../../checks/check-probe.ts';
import type { PoststartHook, PoststartRequest, WorkloadContext } from '../hook-types.ts';

async function checkInstance(workload: WorkloadContext, target: ProbeTarget, signal: AbortSignal): Promise<void> {
  const spec = workload.record.spec as ApplicationSpec;
  const skipInitialDelay = workload.recovered;
  const readiness = await runReadiness(spec.readiness, target, signal, { skipInitialDelay });
  signal.throwIfAborted();
  if (!readiness.ok) {
    workload.fail('READINESS_CHECK_FAILED', readiness.message);
    return;
  }
  workload.event('Ready', readiness.message);
  workload.setState('READY');
  const health = await runHealth(spec.healthcheck, target, signal, {
    onHealthy: (result) => {
      workload.event('Healthy', result.message);
      workload.setState('HEALTHY');
    },
    onFailure: (result, consecutive) => workload.event('Health Check Failed', `${result.message} (${consecutive} in a row)`, { error: true }),
  }, { skipInitialDelay });
  signal.throwIfAborted();
  workload.fail('UNHEALTHY', health.message);
}

export const checksHook: PoststartHook = {
  name: 'checks',
  async poststart({ workload, handle, signal }: PoststartRequest): Promise<void> {
    if (workload.record.kind !== 'instance' || signal.aborted) return;
    const target: ProbeTarget = { driver: workload.driver, handle, ports: workload.record.prepared.ports, env: workload.record.prepared.env };
    checkInstance(workload, target, signal).catch((error: unknown) => {
      if (isAbortError(error) || signal.aborted) return;
      workload.event('Check Error', (error as Error).message, { error: true, notify: true });
    });
  },
};
