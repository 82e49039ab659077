/**
 * Retention of local services: an INACTIVE service nobody touched for the stale age is
 * destroyed by the controller (as Drove's hourly clean-up does); an active one, or a recent
 * one, is kept; a service an operation never got written for is not stuck. Real controller
 * and store; no executor is needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalServiceModule, type LocalServiceModule } from '../../src/controller/localservices/local-service-module.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { agentSpec } from './local-service-cluster.ts';

let controller: TestController;
let module: LocalServiceModule | undefined;

beforeAll(async () => {
  controller = await startTestController({
    modules: [(ctx) => (module = createLocalServiceModule(ctx, { staleServiceAgeMs: 1_500, monitorIntervalMs: 500 }))],
  });
});
afterAll(stopAllTestProcesses);

describe('local-service retention', () => {
  it('destroys INACTIVE services untouched for the stale age, and only those', async () => {
    const api = controller.api();
    for (const name of ['old-agent', 'active-agent']) {
      const reply = await api.post('/apis/v1/localservices/operations', { type: 'CREATE', spec: agentSpec(name, 'retention'), instancesPerHost: 1 });
      expect(reply.body.status).toBe('SUCCESS');
    }
    // With no executor an activation has nothing to start: the service is ACTIVE at once.
    await api.post('/apis/v1/localservices/operations', { type: 'ACTIVATE', serviceId: 'active-agent-1' });
    await waitFor(async () => (await api.get('/apis/v1/localservices/active-agent-1')).body.data?.state === 'ACTIVE', { timeoutMs: 10_000 });
    expect(await module!.sweep()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(await module!.sweep()).toEqual(['old-agent-1']);
    await waitFor(async () => (await api.get('/apis/v1/localservices/old-agent-1')).body.status === 'FAILED', { timeoutMs: 10_000, message: 'old-agent-1 destroyed' });
    expect((await api.get('/apis/v1/localservices/active-agent-1')).body.data.state).toBe('ACTIVE');
    const destroys = (await api.get('/apis/v1/operations?type=DESTROY')).body.data;
    expect(destroys).toEqual([expect.objectContaining({ serviceId: 'old-agent-1', createdBy: 'controller', state: 'COMPLETED' })]);
  });

  it('a service left in an operation state with no operation (its record never written) is put back by the monitor', async () => {
    const api = controller.api();
    const created = await api.post('/apis/v1/localservices/operations', { type: 'CREATE', spec: agentSpec('orphaned', 'retention'), instancesPerHost: 1 });
    await waitFor(async () => (await api.get(`/apis/v1/operations/${created.body.data.operationId}`)).body.data.state === 'COMPLETED', { timeoutMs: 10_000 });
    // What a failed operation write whose undo failed too leaves behind.
    const service = module!.model.service('orphaned-1')!;
    await module!.model.saveService({ ...service, state: 'REPLACING_INSTANCES' });
    expect((await api.get('/apis/v1/localservices/orphaned-1')).body.data.state).toBe('REPLACING_INSTANCES');
    // The monitor's next pass (every 0.5 s here) finds no operation for it.
    await waitFor(async () => (await api.get('/apis/v1/localservices/orphaned-1')).body.data.state === 'INACTIVE', { timeoutMs: 10_000, message: 'put back to INACTIVE' });
    expect((await api.post('/apis/v1/localservices/operations', { type: 'ACTIVATE', serviceId: 'orphaned-1' })).body.status).toBe('SUCCESS');
  });
});
