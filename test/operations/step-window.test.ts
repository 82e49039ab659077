/** The step window on its own: parallelism, failureStrategy STOP, graceful stop, force, resume, halt. */
import { describe, expect, it } from 'vitest';
import { OperationHaltedError } from '../../src/controller/operations/cancel-reason.ts';
import { runStepWindow, type StepControl, type StepOutcome } from '../../src/controller/operations/step-window.ts';

function control(): StepControl & { stop(): void; abort(): void } {
  let stopped = false;
  const waiters: (() => void)[] = [];
  const force = new AbortController();
  return {
    stopping: () => stopped,
    whenStopping: () => (stopped ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    force: force.signal,
    stop() {
      stopped = true;
      waiters.splice(0).forEach((wake) => wake());
    },
    abort() {
      this.stop();
      force.abort(new Error('forced'));
    },
  };
}

/** A step that finishes when released (or when forced, as 'cancelled'). */
class Gate {
  readonly started: number[] = [];
  private readonly open = new Map<number, (o: StepOutcome) => void>();
  inFlight = 0;
  maxInFlight = 0;
  private readonly signal?: AbortSignal;
  constructor(signal?: AbortSignal) {
    this.signal = signal;
  }
  run = (step: number): Promise<StepOutcome> => {
    this.started.push(step);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<StepOutcome>((resolve) => {
      this.open.set(step, resolve);
      this.signal?.addEventListener('abort', () => resolve({ status: 'cancelled', message: 'forced' }), { once: true });
    }).finally(() => this.inFlight--);
  };
  release(step: number, outcome: StepOutcome = { status: 'done' }): void {
    this.open.get(step)?.(outcome);
    this.open.delete(step);
  }
  async releaseAll(): Promise<void> {
    while (this.open.size > 0) {
      for (const step of [...this.open.keys()]) this.release(step);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('runStepWindow', () => {
  it('never has more than `parallelism` steps in flight and starts the next as soon as one ends', async () => {
    const gate = new Gate();
    const run = runStepWindow({ steps: [0, 1, 2, 3, 4, 5, 6], parallelism: 3, stopOnFailure: true, control: control(), execute: gate.run });
    await tick();
    expect(gate.started).toEqual([0, 1, 2]);
    gate.release(1);
    await tick();
    expect(gate.started).toEqual([0, 1, 2, 3]);
    await gate.releaseAll();
    expect(await run).toMatchObject({ done: 7, failed: 0, notStarted: 0 });
    expect(gate.maxInFlight).toBe(3);
  });

  it('failureStrategy STOP: nothing new starts after a failure, steps in flight finish', async () => {
    const gate = new Gate();
    const run = runStepWindow({ steps: [0, 1, 2, 3, 4], parallelism: 2, stopOnFailure: true, control: control(), execute: gate.run });
    await tick();
    gate.release(0, { status: 'failed', message: 'boom', timedOut: false });
    await tick();
    expect(gate.started).toEqual([0, 1]);
    gate.release(1);
    expect(await run).toMatchObject({ done: 1, failed: 1, notStarted: 3, firstFailure: 'boom' });
  });

  it('a graceful stop lets steps in flight finish and starts no other', async () => {
    const gate = new Gate();
    const ctl = control();
    const run = runStepWindow({ steps: [0, 1, 2, 3], parallelism: 1, stopOnFailure: true, control: ctl, execute: gate.run });
    await tick();
    ctl.stop();
    await tick();
    gate.release(0);
    expect(await run).toMatchObject({ done: 1, notStarted: 3 });
    expect(gate.started).toEqual([0]);
  });

  it('force reaches steps in flight; resumed steps start even when stopping; halted steps are neither done nor failed', async () => {
    const ctl = control();
    const gate = new Gate(ctl.force);
    ctl.stop();
    const run = runStepWindow({ resumed: [9], steps: [0, 1], parallelism: 1, stopOnFailure: true, control: ctl, execute: gate.run });
    await tick();
    expect(gate.started).toEqual([9]);
    ctl.abort();
    expect(await run).toMatchObject({ cancelled: 1, done: 0, notStarted: 2 });

    const halted = await runStepWindow({
      steps: [0], parallelism: 1, stopOnFailure: true, control: control(),
      execute: async () => { throw new OperationHaltedError(); },
      onSettled: () => { throw new Error('a halted step must not settle'); },
    });
    expect(halted).toMatchObject({ halted: 1, failed: 0, done: 0 });
  });
});
