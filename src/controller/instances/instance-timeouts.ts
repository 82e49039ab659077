/** How long an instance start may take at least (docs/api.md §2.2), for apps and local services alike. */
import type { ApplicationSpec } from '../../api/app-types.ts';
import type { CheckSpec } from '../../api/spec-types.ts';
import { durationMillis } from '../../common/durations.ts';

function checkBudgetMs(check: CheckSpec): number {
  const initial = check.initialDelay ? durationMillis(check.initialDelay) : 0;
  return initial + check.attempts * (durationMillis(check.timeout) + durationMillis(check.interval));
}

/**
 * The least time an instance start may be given: image pull budget plus, for readiness and
 * health check each, `initialDelay + attempts × (timeout + interval)`.
 */
export function minimumStartTimeoutMs(spec: Pick<ApplicationSpec, 'executable' | 'readiness' | 'healthcheck'>): number {
  const pull = spec.executable.type === 'DOCKER' ? durationMillis(spec.executable.dockerPullTimeout) : 0;
  return pull + checkBudgetMs(spec.readiness) + checkBudgetMs(spec.healthcheck);
}
