/**
 * Timers for durations clients choose (`opSpec.timeout`, abort `deadline`, …), which may be
 * longer than Node's timers allow: `setTimeout` takes at most 2^31-1 ms (about 24.8 days) and
 * fires after 1 ms for anything longer. An operation with `"timeout": "30 days"` therefore timed
 * out at once ("did not reach its target state within 2592000 s"). These timers wait in hops of
 * at most the maximum until the whole delay has passed.
 */

/** The longest delay Node's `setTimeout` honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending long timer; `cancel()` is safe to call at any time, also after it fired. */
export interface LongTimer {
  cancel(): void;
}

/**
 * Calls `fn` once after `delayMs` (negative or NaN: on the next timer turn; `Infinity`: never),
 * unref'ed like the timers it replaces: it does not keep the process alive.
 */
export function setLongTimeout(fn: () => void, delayMs: number): LongTimer {
  let remaining = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs);
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = (): void => {
    if (cancelled || remaining === Infinity) return;
    const hop = Math.min(remaining, MAX_TIMER_MS);
    remaining -= hop;
    timer = setTimeout(() => {
      timer = undefined;
      if (remaining > 0) arm();
      else if (!cancelled) fn();
    }, hop);
    timer.unref();
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** An AbortSignal that aborts with `reason()` after `delayMs` (any length); `dispose()` stops it. */
export function longTimeoutSignal(delayMs: number, reason: () => unknown): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const timer = setLongTimeout(() => controller.abort(reason()), delayMs);
  return { signal: controller.signal, dispose: () => timer.cancel() };
}

/**
 * Resolves after `delayMs` (any length); rejects with the signal's reason when `signal` aborts
 * first. Unlike the long timers above it keeps the process alive while pending, as
 * `timers/promises` does.
 */
export function sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const keepAlive = setInterval(() => undefined, MAX_TIMER_MS);
    const onAbort = () => {
      timer.cancel();
      clearInterval(keepAlive);
      reject(signal?.reason);
    };
    const timer = setLongTimeout(() => {
      clearInterval(keepAlive);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
