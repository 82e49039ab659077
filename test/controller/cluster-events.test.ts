/**
 * Events (docs/api.md §4.8): the legacy list, /latest and /summary carry Drove's types only, newest
 * first, strictly newer than lastSyncTime; the SSE stream carries every type live, with type
 * filter, replay and heartbeats. A ManualClock makes event times exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/common/clock.ts';
import type { StoreEventBus } from '../../src/controller/events/event-bus.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { openEventStream } from '../helpers/event-stream-client.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { waitFor } from '../helpers/wait-for.ts';

const T0 = 1_800_000_000_000;

describe('cluster events', () => {
  let controller: TestController;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    controller = await startTestController({ modules: [], clock, eventStreamHeartbeatMs: 100, config: { eventRetentionMs: 60_000 } });
    const { events } = controller.ctx!;
    clock.advance(10);
    await events.emit('APP_STATE_CHANGE', { APP_ID: 'a-1', CURRENT_STATE: 'RUNNING' });
    clock.advance(10);
    await events.emit('TASK_EVENT', { TASK_ID: 't' });
    clock.advance(10);
    await Promise.all([
      events.emit('INSTANCE_STATE_CHANGE', { APP_ID: 'a-1', INSTANCE_ID: 'AI-1', CURRENT_STATE: 'HEALTHY' }),
      events.emit('EXECUTOR_LOST', { EXECUTOR_ID: 'e' }),
    ]);
    clock.advance(10);
    await events.emit('APP_STATE_CHANGE', { APP_ID: 'a-1', CURRENT_STATE: 'MONITORING' });
  });
  afterAll(stopAllTestProcesses);

  const types = (list: { type: string }[]) => list.map((e) => e.type);

  it('lists Drove events newer than lastSyncTime, newest first, never corral types', async () => {
    const all = await controller.api().get('/apis/v1/cluster/events');
    expect(types(all.body.data)).toEqual(['APP_STATE_CHANGE', 'INSTANCE_STATE_CHANGE', 'APP_STATE_CHANGE', 'LEADERSHIP_ACQUIRED']);
    expect(all.body.data[0]).toMatchObject({ time: T0 + 40, metadata: { APP_ID: 'a-1', CURRENT_STATE: 'MONITORING' } });
    expect(all.body.data[0].id).toMatch(/^[0-9a-f-]{36}$/);

    const strict = await controller.api().get(`/apis/v1/cluster/events?lastSyncTime=${T0 + 10}`);
    expect(strict.body.data.map((e: { time: number }) => e.time)).toEqual([T0 + 40, T0 + 30]);
    const sized = await controller.api().get(`/apis/v1/cluster/events?lastSyncTime=${T0}&size=2`);
    expect(sized.body.data.map((e: { time: number }) => e.time)).toEqual([T0 + 40, T0 + 30]);
    expect((await controller.api().get('/apis/v1/cluster/events?size=0')).body).toEqual({ status: 'SUCCESS', data: [], message: 'success' });
    expect((await controller.api().get(`/apis/v1/cluster/events?lastSyncTime=${T0 + 40}`)).body.data).toEqual([]);
  });

  it('answers /latest with the newest stored event time to pass back', async () => {
    const latest = await controller.api().get(`/apis/v1/cluster/events/latest?lastSyncTime=${T0 + 10}`);
    expect(types(latest.body.data.events)).toEqual(['APP_STATE_CHANGE', 'INSTANCE_STATE_CHANGE']);
    expect(latest.body.data.lastSyncTime).toBe(T0 + 40);
    const none = await controller.api().get(`/apis/v1/cluster/events/latest?lastSyncTime=${T0 + 40}`);
    expect(none.body.data).toEqual({ events: [], lastSyncTime: T0 + 40 });
  });

  it('counts Drove event types in /summary', async () => {
    const summary = await controller.api().get(`/apis/v1/cluster/events/summary?lastSyncTime=${T0}`);
    expect(summary.body.data).toEqual({ eventsCount: { APP_STATE_CHANGE: 2, INSTANCE_STATE_CHANGE: 1 }, lastSyncTime: T0 + 40 });
  });

  describe('live stream', () => {
    it('requires authentication', async () => {
      const stream = await openEventStream(controller.url, { auth: false });
      expect(stream.status).toBe(401);
    });

    it('streams every type live, corral types included, with heartbeats', async () => {
      const stream = await openEventStream(controller.url);
      expect(stream.status).toBe(200);
      expect(stream.contentType).toContain('text/event-stream');
      await waitFor(() => stream.comments.includes('connected'));
      const emitted = await controller.ctx!.events.emit('EXECUTOR_LOST', { EXECUTOR_ID: 'x' });
      await controller.ctx!.events.emit('TASK_STATE_CHANGE', { TASK_ID: 'y' });
      await waitFor(() => stream.events.length === 2);
      expect(stream.events[0]).toEqual(emitted);
      expect(stream.ids[0]).toBe(emitted.id);
      expect(types(stream.events)).toEqual(['EXECUTOR_LOST', 'TASK_STATE_CHANGE']);
      await waitFor(() => stream.comments.includes('heartbeat'), { timeoutMs: 2_000 });
      stream.close();
    });

    it('filters by type', async () => {
      const stream = await openEventStream(controller.url, { query: 'type=OPERATION_STATE_CHANGE,EXECUTOR_ADDED&type=TASK_EVENT' });
      await waitFor(() => stream.comments.includes('connected'));
      await controller.ctx!.events.emit('APP_STATE_CHANGE', {});
      await controller.ctx!.events.emit('OPERATION_STATE_CHANGE', { OPERATION_ID: 'OP-1' });
      await controller.ctx!.events.emit('TASK_EVENT', {});
      await waitFor(() => stream.events.length === 2);
      expect(types(stream.events)).toEqual(['OPERATION_STATE_CHANGE', 'TASK_EVENT']);
      stream.close();
    });

    it('replays stored events after lastSyncTime, oldest first, then continues live', async () => {
      const stream = await openEventStream(controller.url, { query: `lastSyncTime=${T0 + 10}` });
      await waitFor(() => stream.events.length >= 4);
      expect(types(stream.events.slice(0, 4))).toEqual(['TASK_EVENT', expect.any(String), expect.any(String), 'APP_STATE_CHANGE']);
      expect(stream.events.slice(0, 4).map((e) => e.time)).toEqual([T0 + 20, T0 + 30, T0 + 30, T0 + 40]);
      const before = stream.events.length;
      await controller.ctx!.events.emit('MAINTENANCE_MODE_SET', { HOSTNAME: 'h' });
      await waitFor(() => stream.events.length === before + 1);
      expect(new Set(stream.ids).size).toBe(stream.ids.length);
      stream.close();
    });

    it('rejects a bad lastSyncTime before opening the stream', async () => {
      const res = await controller.api().get('/apis/v1/cluster/events/stream?lastSyncTime=yesterday');
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('Command validation failure');
    });
  });

  it('prunes events older than the retention', async () => {
    clock.advance(60_000 + 1);
    const kept = await controller.ctx!.events.emit('APP_STATE_CHANGE', { APP_ID: 'fresh' });
    await (controller.ctx!.events as StoreEventBus).prune(controller.config.eventRetentionMs);
    const left = await controller.ctx!.store.listEvents({});
    expect(left.map((e) => e.id)).toEqual([kept.id]);
    const latest = await controller.api().get(`/apis/v1/cluster/events/latest?lastSyncTime=${kept.time + 5}`);
    expect(latest.body.data).toEqual({ events: [], lastSyncTime: kept.time });
  });

  it('ends open streams when the controller stops', async () => {
    const stream = await openEventStream(controller.url);
    await waitFor(() => stream.comments.includes('connected'));
    const started = Date.now();
    await controller.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    stream.close();
  });
});
