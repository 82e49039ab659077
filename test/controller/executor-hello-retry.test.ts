/**
 * A hello the controller cannot register for a reason of its own (its store failing mid-hello)
 * is not a refusal of the executor. Before, it was closed with 4003 like a bad hello, and an
 * executor with a single controller URL waited its slow refused-retry (30 s by default) — longer
 * than `executorLostAfter`, so its work was declared LOST once the store was back. Now it is
 * closed with 1013 (try again later) and the executor comes back on its usual backoff.
 *
 * The store failure is injected into the real store's `upsertExecutor` (the store-outage tests
 * produce real outages with a full disk; here only the hello's write must fail, for two tries).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLOSE_TRY_AGAIN } from '../../src/api/channel-protocol.ts';
import { createLogger } from '../../src/common/logger.ts';
import { startExecutor } from '../../src/executor/agent/executor-agent.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { connectFakeExecutor } from '../helpers/fake-executor.ts';
import { captureLogLines } from '../helpers/log-capture.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { tempDir } from '../executor/helpers/workload-fixtures.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(stopAllTestProcesses);

/** Makes the controller's next `failures` executor writes fail, as a store outage would. */
function failExecutorWrites(controller: TestController, failures: number): { failed: () => number } {
  const store = controller.ctx!.store;
  const upsert = store.upsertExecutor.bind(store);
  let failed = 0;
  store.upsertExecutor = async (record) => {
    if (failed < failures) {
      failed++;
      throw new Error('store unavailable (injected)');
    }
    return upsert(record);
  };
  return { failed: () => failed };
}

describe('a hello the controller cannot register just now', () => {
  it('is closed with 1013 (try again), not refused', async () => {
    const controller = await startTestController({ modules: [], logger: createLogger('test', { level: 'fatal' }) });
    failExecutorWrites(controller, 1);
    const exec = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret });
    expect(await exec.waitClosed()).toMatchObject({ code: CLOSE_TRY_AGAIN, reason: expect.stringContaining('try again') });
  });

  it('brings a real executor back on its usual backoff, well inside executorLostAfter', async () => {
    const controller = await startTestController({ modules: [], logger: createLogger('test', { level: 'fatal' }) });
    const injected = failExecutorWrites(controller, 2);
    const { dir, cleanup } = await tempDir('corral-hello-retry-');
    cleanups.push(cleanup);
    const logs = captureLogLines();
    const started = Date.now();
    const agent = await startExecutor({
      controllers: [controller.url], secret: controller.config.clusterSecret, dataDir: dir, port: 3201,
      logger: createLogger('executor', { level: 'warn', destination: logs.destination }),
      // The default slow retry after a refusal: an executor that waited it would take 30 s.
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, refusedDelayMs: 30_000 },
    });
    cleanups.push(() => agent.stop({ killWorkloads: true }));
    const live = await waitFor(() => controller.ctx!.executors.list().find((e) => e.connected), { timeoutMs: 10_000, message: 'executor registered' });
    expect(injected.failed()).toBe(2);
    expect(Date.now() - started).toBeLessThan(controller.config.executorLostAfterMs);
    expect(live.record.executorState).toBe('ACTIVE');
    expect(logs.lines.filter((l) => String(l.msg).includes('could not register this executor just now'))).toHaveLength(2);
    expect(logs.lines.some((l) => String(l.msg).includes('refused this executor'))).toBe(false);
  });
});
