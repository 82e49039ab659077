/** What the benchmarks share: a worker pool to run jobs at a given concurrency, and a polled wait. */

/** Runs `job(0)` … `job(count - 1)` with `concurrency` workers; resolves with the seconds it took. */
export async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await job(next++);
  }));
  return (performance.now() - start) / 1000;
}

/** Polls `check` every `intervalMs` until it is true; throws naming `what` after `timeoutMs`. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
