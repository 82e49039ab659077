/**
 * Graceful shutdown on SIGINT / SIGTERM / SIGHUP for the server roles (`controller`, `executor`,
 * `dev`): the first signal runs `stop` once, then the process exits 0 (1 if `stop` failed).
 *
 * Later signals are absorbed while `stop` runs instead of killing the process with the default
 * action. They come in pairs in ordinary use: a terminal's Ctrl-C reaches every process of the
 * foreground group, and `npm start` forwards the same signal to its child again. With a one-shot
 * handler the second copy killed `corral dev` half-way through its shutdown, leaving its executors
 * and their workloads running.
 */

/** A shutdown signal the server roles handle. */
export type ShutdownSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export interface ShutdownSignalOptions {
  /** Signals to handle (default SIGINT and SIGTERM). */
  signals?: ShutdownSignal[];
  /** Called once, with the first signal, before `stop` (a message for the operator). */
  onSignal?: (signal: ShutdownSignal) => void;
  /** Called when `stop` rejects, before exiting 1. */
  onError?: (error: Error) => void;
  /** Exit function (tests); default `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * Installs the handlers; returns a function that removes them (tests).
 * `stop` must end what the role started; the process exits when it settles.
 */
export function onShutdownSignals(stop: (signal: ShutdownSignal) => Promise<void>, options: ShutdownSignalOptions = {}): () => void {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const handler = (signal: ShutdownSignal): void => {
    if (stopping) return;
    stopping = true;
    options.onSignal?.(signal);
    stop(signal).then(() => exit(0), (error: unknown) => {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
      exit(1);
    });
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
