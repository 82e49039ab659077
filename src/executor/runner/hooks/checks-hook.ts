/**
 * Poststart hook (app instances): readiness, then periodic health checks, in the background
 * for as long as the instance runs (the poststart signal ends when it stops, exits or the
 * agent shuts down). Drives UNREADY → READY → HEALTHY, and READINESS_CHECK_FAILED / UNHEALTHY
 * through `lifecycle.fail`, which has the runner stop the instance.
 */
import type { ApplicationSpec } from '../../../api/app-types.ts';
import { isAbortError } from '../../abortable-wait.ts';
import { runHealth, runReadiness } from '../../checks/check-loop.ts';
import type { ProbeTarget } from '../../checks/check-probe.ts';
import type { LifecycleControl, WorkloadEvents } from '../hook-capabilities.ts';
import type { PoststartHook, PoststartRequest } from '../hook-phases.ts';

type ChecksRequest = Pick<PoststartRequest, 'workload' | 'exec' | 'recovered' | 'lifecycle' | 'events' | 'signal'>;

async function checkInstance(
  spec: Readonly<ApplicationSpec>, target: ProbeTarget, lifecycle: LifecycleControl, events: WorkloadEvents,
  signal: AbortSignal, skipInitialDelay: boolean,
): Promise<void> {
  const readiness = await runReadiness(spec.readiness, target, signal, { skipInitialDelay });
  signal.throwIfAborted();
  if (!readiness.ok) {
    lifecycle.fail('READINESS_CHECK_FAILED', readiness.message);
    return;
  }
  events.event('Ready', readiness.message);
  lifecycle.setState('READY');
  const health = await runHealth(spec.healthcheck, target, signal, {
    onHealthy: (result) => {
      events.event('Healthy', result.message);
      lifecycle.setState('HEALTHY');
    },
    onFailure: (result, consecutive) => events.event('Health Check Failed', `${result.message} (${consecutive} in a row)`, { error: true }),
  }, { skipInitialDelay });
  signal.throwIfAborted();
  lifecycle.fail('UNHEALTHY', health.message);
}

export const checksHook: PoststartHook = {
  name: 'checks',
  async poststart({ workload, exec, recovered, lifecycle, events, signal }: ChecksRequest): Promise<void> {
    if (workload.kind !== 'instance' || signal.aborted) return;
    const target: ProbeTarget = { workload: exec, ports: workload.prepared.ports, env: workload.prepared.env };
    checkInstance(workload.spec as ApplicationSpec, target, lifecycle, events, signal, recovered).catch((error: unknown) => {
      if (isAbortError(error) || signal.aborted) return;
      events.event('Check Error', (error as Error).message, { error: true, notify: true });
    });
  },
};
