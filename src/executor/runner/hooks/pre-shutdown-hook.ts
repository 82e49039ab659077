/**
 * PreKill hook (app instances): Drove's `preShutdown` (API.md §6.10). The hooks run in order
 * while the instance is STOPPING; failures are recorded and shutdown continues. An HTTP hook is
 * retried every 3 s, at most 5 attempts within 30 s (Drove's behaviour); a CMD hook runs once.
 * Then `waitBeforeKill` passes before the driver stops the workload.
 */
import type { ApplicationSpec } from '../../../api/app-types.ts';
import type { CheckModeSpec } from '../../../api/spec-types.ts';
import { durationMillis } from '../../../common/durations.ts';
import { pause } from '../../abort-utils.ts';
import type { ProbeTarget } from '../../checks/check-probe.ts';
import { probe } from '../../checks/check-probe.ts';
import type { PreKillHook, PreKillRequest } from '../hook-types.ts';

export interface PreShutdownTimings {
  httpAttempts: number;
  httpRetryMs: number;
  httpBudgetMs: number;
  /** Per-attempt timeout of a hook call. */
  attemptTimeoutMs: number;
}

export const DROVE_PRE_SHUTDOWN_TIMINGS: PreShutdownTimings = { httpAttempts: 5, httpRetryMs: 3_000, httpBudgetMs: 30_000, attemptTimeoutMs: 10_000 };

async function runOne(mode: CheckModeSpec, target: ProbeTarget, timings: PreShutdownTimings, signal: AbortSignal): Promise<string | undefined> {
  const attempts = mode.type === 'HTTP' ? timings.httpAttempts : 1;
  const deadline = Date.now() + timings.httpBudgetMs;
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const result = await probe(mode, target, timings.attemptTimeoutMs, signal);
    if (result.ok) return undefined;
    last = result.message;
    if (attempt === attempts || Date.now() + timings.httpRetryMs > deadline) break;
    await pause(timings.httpRetryMs, signal);
  }
  return last;
}

export function createPreShutdownHook(timings: PreShutdownTimings = DROVE_PRE_SHUTDOWN_TIMINGS): PreKillHook {
  return {
    name: 'pre-shutdown',
    async preKill({ workload, handle, signal }: PreKillRequest): Promise<void> {
      if (workload.record.kind !== 'instance') return;
      const spec = workload.record.spec as ApplicationSpec;
      const hooks = spec.preShutdown?.hooks ?? [];
      const target: ProbeTarget = { driver: workload.driver, handle, ports: workload.record.prepared.ports, env: workload.record.prepared.env };
      for (const [index, mode] of hooks.entries()) {
        const failure = await runOne(mode, target, timings, signal);
        const label = mode.type === 'HTTP' ? `${mode.verb} ${mode.path}` : mode.command;
        if (failure) workload.event('Hook Failed', `preShutdown hook ${index + 1} (${label}) failed, continuing: ${failure}`, { hook: 'pre-shutdown', error: true });
        else workload.event('PreShutdown', `preShutdown hook ${index + 1} (${label}) succeeded`, { hook: 'pre-shutdown' });
      }
      const waitMs = spec.preShutdown?.waitBeforeKill ? durationMillis(spec.preShutdown.waitBeforeKill) : 0;
      if (waitMs > 0) {
        workload.event('PreShutdown', `Waiting ${waitMs} ms before stopping (waitBeforeKill)`);
        await pause(waitMs, signal);
      }
    },
  };
}
