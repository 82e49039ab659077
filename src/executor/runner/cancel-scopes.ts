/**
 * A runner's cancellation scopes, as abort signals (src/executor/README.md, "The runner and its
 * hooks"):
 *
 *   kill      a stop was requested (controller, or a failed check); `forced` when FORCE, which
 *             also ends preKill hooks early
 *   shutdown  the agent exits: waits are abandoned, the workload keeps running
 *   exited    the workload ended: its poststart background work (checks) ends
 *
 *   prestart + start: kill | shutdown     poststart: kill | shutdown | exited
 *   preKill: forced | shutdown            wait: shutdown
 */
import { SHUTTING_DOWN, STOP_FORCED, STOP_REQUESTED, WORKLOAD_EXITED } from './stop-reasons.ts';

export class CancelScopes {
  private readonly stop = new AbortController();
  private readonly force = new AbortController();
  private readonly shutdown = new AbortController();
  private readonly exit = new AbortController();
  private signalStop!: () => void;
  /** Resolves once a stop is requested. */
  readonly stopRequested = new Promise<void>((resolve) => (this.signalStop = resolve));
  private startScope: AbortSignal | undefined;

  /** Kill scope; `force` aborts the forced scope too (now or, for an escalation, later). */
  requestStop(force: boolean): void {
    if (force) this.force.abort(STOP_FORCED);
    this.stop.abort(STOP_REQUESTED);
    this.signalStop();
  }

  shutDown(): void {
    this.shutdown.abort(SHUTTING_DOWN);
  }

  workloadExited(): void {
    this.exit.abort(WORKLOAD_EXITED);
  }

  get stopping(): boolean {
    return this.stop.signal.aborted;
  }

  get forced(): boolean {
    return this.force.signal.aborted;
  }

  get shuttingDown(): boolean {
    return this.shutdown.signal.aborted;
  }

  get shutdownSignal(): AbortSignal {
    return this.shutdown.signal;
  }

  /** Prestart and start: aborted by a stop request or the agent's shutdown. */
  get starting(): AbortSignal {
    this.startScope ??= AbortSignal.any([this.stop.signal, this.shutdown.signal]);
    return this.startScope;
  }

  /** Poststart: also ends when the workload exits. */
  running(): AbortSignal {
    return AbortSignal.any([this.stop.signal, this.shutdown.signal, this.exit.signal]);
  }

  /** PreKill: cut short when the stop is forced or the agent shuts down. */
  preKill(): AbortSignal {
    return AbortSignal.any([this.force.signal, this.shutdown.signal]);
  }
}
