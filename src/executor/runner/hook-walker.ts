/**
 * Walks one "run all, collect all errors" phase (poststart, preKill, exited, update, stop) over
 * the hooks that implement it: every hook runs even when an earlier one failed, each failure is
 * handed to `onError`. Prestart (ordered, fail fast, persisted state) is the runner's own loop.
 */
import type { AnyHook } from './hook-phases.ts';

export interface PhaseOptions<H> {
  /** Which hooks take part. */
  accepts: (hook: AnyHook) => hook is AnyHook & H;
  call: (hook: H) => Promise<void>;
  onError: (hook: AnyHook, error: unknown) => void;
  /** When this returns true the walk ends early (e.g. a FORCE stop during preKill). */
  stopWhen?: () => boolean;
}

export async function runHookPhase<H>(hooks: AnyHook[], options: PhaseOptions<H>): Promise<void> {
  for (const hook of hooks) {
    if (!options.accepts(hook)) continue;
    if (options.stopWhen?.()) return;
    try {
      await options.call(hook);
    } catch (error) {
      if (options.stopWhen?.()) return;
      options.onError(hook, error);
    }
  }
}
