/**
 * PreKill hook (app instances): Drove's `preShutdown` (docs/api.md §6.10). The hooks run in order
 * while the instance is STOPPING; failures are recorded and shutdown continues. An HTTP hook is
 * retried every 3 s, at most 5 attempts within 30 s (Drove's behaviour); a CMD hook runs once.
 * Then `waitBeforeKill` passes before the driver stops the workload.
 */
import type { CheckModeSpec } from '../../../api/spec-types.ts';
import { durationMillis } from '../../../common/durations.ts';
import { pause } from '../../abortable-wait.ts';
import type { ProbeTarget } from '../../checks/check-probe.ts';
import { probe } from '../../checks/check-probe.ts';
import { appSpecOf } from '../../state/workload-record.ts';
import type { PreKillHook, PreKillRequest } from '../hook-phases.ts';

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
    async preKill({ workload, exec, events, signal }: Pick<PreKillRequest, 'workload' | 'exec' | 'events' | 'signal'>): Promise<void> {
      if (workload.kind !== 'instance') return;
      const spec = appSpecOf(workload);
      const hooks = spec.preShutdown?.hooks ?? [];
      const target: ProbeTarget = { workload: exec, ports: workload.prepared.ports, env: workload.prepared.env };
      for (const [index, mode] of hooks.entries()) {
        const failure = await runOne(mode, target, timings, signal);
        const label = mode.type === 'HTTP' ? `${mode.verb} ${mode.path}` : mode.command;
        if (failure) events.event('Hook Failed', `preShutdown hook ${index + 1} (${label}) failed, continuing: ${failure}`, { hook: 'pre-shutdown', error: true });
        else events.event('PreShutdown', `preShutdown hook ${index + 1} (${label}) succeeded`, { hook: 'pre-shutdown' });
      }
      const waitMs = spec.preShutdown?.waitBeforeKill ? durationMillis(spec.preShutdown.waitBeforeKill) : 0;
      if (waitMs > 0) {
        events.event('PreShutdown', `Waiting ${waitMs} ms before stopping (waitBeforeKill)`);
        await pause(waitMs, signal);
      }
    },
  };
}
