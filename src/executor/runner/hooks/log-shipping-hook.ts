/**
 * Poststart/exited/stop hook for RSYSLOG logging (docs/api.md §6.11): from poststart (after a start,
 * or after an executor restart re-attached the workload) the LogShipper follows `output.log`
 * and sends each line to the spec's syslog server; once the workload has exited (the docker
 * driver's `wait` resolves only after the last lines are in the file) the rest is shipped and
 * following ends. `stop` repeats that for walks that end without `exited` (idempotent).
 * Simulated (mock) workloads and ephemeral executors write no files, so nothing is followed.
 */
import type { LogShipper } from '../../logs/log-shipper.ts';
import type { ExitedHook, ExitedRequest, PoststartHook, PoststartRequest, StopHook, StopHookRequest } from '../hook-phases.ts';

type FollowRequest = Pick<PoststartRequest, 'workload' | 'paths' | 'executor' | 'capabilities' | 'recovered' | 'events'>;

export function createLogShippingHook(shipper: LogShipper): PoststartHook & ExitedHook & StopHook {
  return {
    name: 'log-shipping',
    async poststart({ workload, paths, executor, capabilities, recovered, events }: FollowRequest): Promise<void> {
      const logging = workload.spec.logging;
      if (logging?.type !== 'RSYSLOG' || capabilities.simulated || executor.ephemeral) return;
      const refused = await shipper.follow({
        instanceId: workload.instanceId,
        logging,
        logFile: paths.logFile,
        hostname: executor.hostname,
        resumed: recovered,
      });
      // A bad address must not fail the workload: its output stays in output.log; tell the user why.
      if (refused) events.event('Log Shipping Disabled', refused.error, { hook: 'log-shipping', error: true });
    },
    async exited({ workload }: Pick<ExitedRequest, 'workload'>): Promise<void> {
      await shipper.finish(workload.instanceId);
    },
    async stop({ workload }: Pick<StopHookRequest, 'workload'>): Promise<void> {
      await shipper.finish(workload.instanceId);
    },
  };
}
