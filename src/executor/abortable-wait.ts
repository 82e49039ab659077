/** Waits that an AbortSignal cuts short (no sleeps for correctness: callers poll with deadlines). */
import { sleep } from '../common/long-timer.ts';

/** The error thrown when a wait is cut short by its signal. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  error.name = 'AbortError';
  return error;
}

/** Races a promise against a signal; the promise keeps running when the signal wins. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Waits `ms` (an interval the spec asked for, not a correctness sleep; any length, also past
 * the 24.8 days Node's timers hold); rejects when aborted.
 */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw abortError(signal);
  try {
    await sleep(Math.max(0, ms), signal);
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw error;
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'ShutdownError');
}
