/**
 * Poststart/stop hook: puts the workload's `output.log` under the executor's rotator with the
 * spec's LOCAL policy (after a restart too), and takes it off when the workload is cleaned up.
 * Simulated (mock) workloads write a line or two and are not watched.
 */
import { compileLogPolicy, DEFAULT_LOG_POLICY } from '../../logs/log-policy.ts';
import type { LogRotator } from '../../logs/log-rotator.ts';
import type { PoststartHook, PoststartRequest, StopHook, StopHookRequest } from '../hook-phases.ts';

export function createLogRotationHook(rotator: LogRotator): PoststartHook & StopHook {
  return {
    name: 'log-rotation',
    async poststart({ workload, paths, capabilities }: Pick<PoststartRequest, 'workload' | 'paths' | 'capabilities'>): Promise<void> {
      if (capabilities.simulated) return;
      const policy = compileLogPolicy(workload.spec.logging);
      rotator.register(workload.instanceId, paths.logFile, 'error' in policy ? DEFAULT_LOG_POLICY : policy);
    },
    async stop({ workload }: Pick<StopHookRequest, 'workload'>): Promise<void> {
      rotator.unregister(workload.instanceId);
    },
  };
}
