/**
 * Poststart/exited/stop hook for RSYSLOG logging (API.md §6.11): from poststart (after a start,
 * or after an executor restart re-attached the workload) the LogShipper follows `output.log`
 * and sends each line to the spec's syslog server; once the workload has exited (the docker
 * driver's `wait` resolves only after the last lines are in the file) the rest is shipped and
 * following ends. `stop` repeats that for walks that end without `exited` (idempotent).
 * Simulated (mock) workloads and ephemeral executors write no files, so nothing is followed.
 */
import { isSimulatedDriver } from '../../drivers/mock/mock-driver.ts';
import type { LogShipper } from '../../logs/log-shipper.ts';
import type { ExitedHook, ExitedRequest, PoststartHook, PoststartRequest, StopHook, StopRequestContext } from '../hook-types.ts';

export function createLogShippingHook(shipper: LogShipper): PoststartHook & ExitedHook & StopHook {
  return {
    name: 'log-shipping',
    async poststart({ workload }: PoststartRequest): Promise<void> {
      const logging = workload.record.spec.logging;
      if (logging?.type !== 'RSYSLOG' || isSimulatedDriver(workload.driver) || workload.executor.ephemeral) return;
      const refused = await shipper.follow({
        instanceId: workload.record.instanceId,
        logging,
        logFile: workload.paths.logFile,
        hostname: workload.executor.hostname,
        resumed: workload.recovered,
      });
      // A bad address must not fail the workload: its output stays in output.log; tell the user why.
      if (refused) workload.event('Log Shipping Disabled', refused.error, { hook: 'log-shipping', error: true });
    },
    async exited({ workload }: ExitedRequest): Promise<void> {
      await shipper.finish(workload.record.instanceId);
    },
    async stop({ workload }: StopRequestContext): Promise<void> {
      await shipper.finish(workload.record.instanceId);
    },
  };
}
