/**
 * Durations longer than a Node timer can hold (2^31-1 ms ≈ 24.8 days) are legal in the API
 * (`"timeout": "30 days"`). Node fires such a timer after 1 ms, so a SCALE with a 30-day step
 * timeout used to end TIMED_OUT at once, claiming the instance "did not reach its target state
 * within 2592000 s". The timer unit test uses fake timers (the only way to let 30 days pass);
 * the end-to-end case runs a real controller, executor and HTTP-server app.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, longTimeoutSignal, setLongTimeout, sleep } from '../../src/common/long-timer.ts';
import { httpAppSpec, killMarked } from '../apps/real-cluster.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('setLongTimeout (fake timers: days cannot pass for real)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires after the whole delay, not after 1 ms, when it exceeds the timer maximum', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setLongTimeout(fired, 30 * DAY);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * DAY - MAX_TIMER_MS - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('cancels between hops, treats negative delays as due and Infinity as never', () => {
    vi.useFakeTimers();
    const cancelled = vi.fn();
    const timer = setLongTimeout(cancelled, 60 * DAY);
    vi.advanceTimersByTime(MAX_TIMER_MS + 5);
    timer.cancel();
    vi.advanceTimersByTime(60 * DAY);
    expect(cancelled).not.toHaveBeenCalled();

    const due = vi.fn();
    setLongTimeout(due, -5);
    vi.advanceTimersByTime(0);
    expect(due).toHaveBeenCalledTimes(1);

    const never = vi.fn();
    setLongTimeout(never, Infinity);
    vi.advanceTimersByTime(1000 * DAY);
    expect(never).not.toHaveBeenCalled();
  });

  it('longTimeoutSignal aborts with its reason only when the time has come', () => {
    vi.useFakeTimers();
    const { signal, dispose } = longTimeoutSignal(40 * DAY, () => new Error('late'));
    vi.advanceTimersByTime(39 * DAY);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(DAY);
    expect((signal.reason as Error).message).toBe('late');
    dispose();
  });
});

describe('sleep (real timers)', () => {
  it('waits past the timer maximum instead of returning at once, and ends early when aborted', async () => {
    const controller = new AbortController();
    let settled = false;
    const sleeping = sleep(30 * DAY, controller.signal).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    await expect(sleep(10)).resolves.toBeUndefined();
  });
});

describe('a 30-day opSpec timeout on a real cluster', () => {
  let controller: TestController;
  const marker = `long-durations-${process.pid}`;

  /** The operation's record once it is terminal. */
  async function finished(operationId: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return waitFor(async () => {
      const data = (await controller.api().get(`/apis/v1/operations/${operationId}`)).body.data;
      return ['COMPLETED', 'FAILED', 'TIMED_OUT', 'CANCELLED'].includes(data?.state) ? data : undefined;
    }, { timeoutMs: 30_000, message: `operation ${operationId} to finish` });
  }

  beforeAll(async () => {
    controller = await startTestController();
    await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 2, killWorkloadsOnExit: true });
  });

  afterAll(async () => {
    await stopAllTestProcesses();
    killMarked(marker);
  });

  it('SCALE completes instead of timing out at once', async () => {
    const admin = controller.api();
    const opSpec = { timeout: '30 days', parallelism: 1, failureStrategy: 'STOP' };
    expect((await admin.post('/apis/v1/applications/operations', { type: 'CREATE', spec: httpAppSpec('longwait', marker), opSpec })).status).toBe(200);
    const scale = await admin.post('/apis/v1/applications/operations', { type: 'SCALE', appId: 'longwait-1', requiredInstances: 1, opSpec });
    expect(scale.status).toBe(200);
    const operationId = scale.body.data.operationId as string;
    const done = await finished(operationId);
    expect(done.state, JSON.stringify(done.messages)).toBe('COMPLETED');
    expect(done.opSpec.timeout).toBe('30 days');
    const suspend = await admin.post('/apis/v1/applications/operations', { type: 'SUSPEND', appId: 'longwait-1', opSpec });
    expect(suspend.status).toBe(200);
    await waitFor(async () => (await admin.get('/apis/v1/applications/longwait-1')).body.data?.state === 'MONITORING', { timeoutMs: 20_000, message: 'suspended' });
  });

  it('checks with 30-day timeouts on the executor wait for the answer instead of failing after 1 ms', async () => {
    // Before the executor used long timers, each check's timer fired after 1 ms: the CMD
    // readiness check (which takes 200 ms) was killed and failed every attempt.
    const admin = controller.api();
    const opSpec = { timeout: '1 minute', parallelism: 1, failureStrategy: 'STOP' };
    const spec = httpAppSpec('longchecks', marker, {
      // Ready once the server answers (a CMD taking 200 ms at least): the health check that
      // follows then fails only if its own 30-day timeout fired early, however slowly the server starts.
      readiness: {
        mode: { type: 'CMD', command: `sleep 0.2 && ${process.execPath} -e "require('http').get('http://127.0.0.1:'+process.env.PORT_8080+'/ready', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"` },
        timeout: '30 days', interval: '100 ms', attempts: 100,
      },
      healthcheck: { mode: { type: 'HTTP', portName: 'http', path: '/health', verb: 'GET', successCodes: [200] }, timeout: '30 days', interval: '200 ms', attempts: 2 },
    });
    expect((await admin.post('/apis/v1/applications/operations', { type: 'CREATE', spec, opSpec })).status).toBe(200);
    const scale = await admin.post('/apis/v1/applications/operations', { type: 'SCALE', appId: 'longchecks-1', requiredInstances: 1, opSpec });
    expect(scale.status).toBe(200);
    const operationId = scale.body.data.operationId as string;
    const done = await finished(operationId);
    expect(done.state, JSON.stringify(done.messages)).toBe('COMPLETED');
    // A few health check rounds later the instance is still HEALTHY.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const healthy = (await admin.get('/apis/v1/applications/longchecks-1/instances')).body.data as { state: string }[];
    expect(healthy.map((i) => i.state)).toEqual(['HEALTHY']);
  });
});
