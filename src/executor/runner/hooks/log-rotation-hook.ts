/**
 * Poststart/stop hook: puts the workload's `output.log` under the executor's rotator with the
 * spec's LOCAL policy (after a restart too), and takes it off when the workload is cleaned up.
 * Simulated (mock) workloads write a line or two and are not watched.
 */
import { isSimulatedDriver } from '../../drivers/mock/mock-driver.ts';
import { compileLogPolicy, DEFAULT_LOG_POLICY } from '../../logs/log-policy.ts';
import type { LogRotator } from '../../logs/log-rotator.ts';
import type { PoststartHook, PoststartRequest, StopHook, StopRequestContext } from '../hook-types.ts';

export function createLogRotationHook(rotator: LogRotator): PoststartHook & StopHook {
  return {
    name: 'log-rotation',
    async poststart({ workload }: PoststartRequest): Promise<void> {
      if (isSimulatedDriver(workload.driver)) return;
      const policy = compileLogPolicy(workload.record.spec.logging);
      rotator.register(workload.record.instanceId, workload.paths.logFile, 'error' in policy ? DEFAULT_LOG_POLICY : policy);
    },
    async stop({ workload }: StopRequestContext): Promise<void> {
      rotator.unregister(workload.record.instanceId);
    },
  };
}
