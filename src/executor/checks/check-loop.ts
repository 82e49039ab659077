/**
 * Readiness and health checking of an app instance (docs/api.md §6.9):
 *
 *   UNREADY ──readiness passes──▶ READY ──first health pass──▶ HEALTHY
 *      │ `attempts` failures          │ `attempts` consecutive failures
 *      ▼                              ▼
 *   READINESS_CHECK_FAILED         UNHEALTHY
 *
 * `initialDelay` is waited before the first attempt, except when re-attaching to a workload
 * after an executor restart. Attempts are `interval` apart and each gets `timeout`.
 */
import type { CheckSpec } from '../../api/spec-types.ts';
import { durationMillis } from '../../common/durations.ts';
import { pause } from '../abortable-wait.ts';
import type { ProbeResult, ProbeTarget } from './check-probe.ts';
import { probe } from './check-probe.ts';

export interface CheckTimings {
  timeoutMs: number;
  intervalMs: number;
  attempts: number;
  initialDelayMs: number;
}

export function checkTimings(check: CheckSpec): CheckTimings {
  return {
    timeoutMs: Math.max(1, durationMillis(check.timeout)),
    intervalMs: Math.max(0, durationMillis(check.interval)),
    attempts: Math.max(1, check.attempts),
    initialDelayMs: check.initialDelay ? durationMillis(check.initialDelay) : 0,
  };
}

/** Runs readiness until it passes or fails `attempts` times. Rejects when `signal` aborts. */
export async function runReadiness(check: CheckSpec, target: ProbeTarget, signal: AbortSignal, options: { skipInitialDelay: boolean }): Promise<ProbeResult> {
  const t = checkTimings(check);
  if (!options.skipInitialDelay && t.initialDelayMs > 0) await pause(t.initialDelayMs, signal);
  let last: ProbeResult = { ok: false, message: 'not attempted' };
  for (let attempt = 1; attempt <= t.attempts; attempt++) {
    signal.throwIfAborted();
    last = await probe(check.mode, target, t.timeoutMs, signal);
    if (last.ok) return { ok: true, message: `readiness passed on attempt ${attempt}: ${last.message}` };
    if (attempt < t.attempts) await pause(t.intervalMs, signal);
  }
  return { ok: false, message: `Readiness check failed ${t.attempts} time(s); last: ${last.message}` };
}

export interface HealthHandlers {
  /** First pass (and first pass after failures that did not reach `attempts`). */
  onHealthy(result: ProbeResult): void;
  /** A failure that does not yet make the instance unhealthy. */
  onFailure?(result: ProbeResult, consecutive: number): void;
}

/**
 * Runs health checks every `interval` until `attempts` consecutive failures (resolves with the
 * reason) or until `signal` aborts (rejects).
 */
export async function runHealth(check: CheckSpec, target: ProbeTarget, signal: AbortSignal, handlers: HealthHandlers, options: { skipInitialDelay: boolean }): Promise<ProbeResult> {
  const t = checkTimings(check);
  if (!options.skipInitialDelay && t.initialDelayMs > 0) await pause(t.initialDelayMs, signal);
  let failures = 0;
  let healthy = false;
  while (true) {
    signal.throwIfAborted();
    const result = await probe(check.mode, target, t.timeoutMs, signal);
    signal.throwIfAborted();
    if (result.ok) {
      failures = 0;
      if (!healthy) handlers.onHealthy(result);
      healthy = true;
    } else {
      failures++;
      if (failures >= t.attempts) return { ok: false, message: `Health check failed ${failures} time(s) in a row; last: ${result.message}` };
      handlers.onFailure?.(result, failures);
    }
    await pause(t.intervalMs, signal);
  }
}
