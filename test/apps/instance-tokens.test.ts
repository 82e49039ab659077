/**
 * Instance tokens and the instance-facing API (docs/api.md §4.10) end to end: real application
 * instances (process driver) call `GET /apis/v1/internal/instances` with their own
 * DROVE_APP_INSTANCE_AUTH_TOKEN (fixtures/instance-api-caller.ts); users, missing, forged,
 * expired and wrong-app tokens get what the contract says; a controller restart rotates the
 * signing key without cutting the running instances off; the token never shows in the
 * controller's logs, events, masked spec or instance views.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.ts';
import { nameUuid } from '../../src/controller/http/instance-tokens.ts';
import { api as apiClient, type ApiClient } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { captureLogLines } from '../helpers/log-capture.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { HTTP_APP, httpAppSpec } from './real-cluster.ts';

const CALLER = fileURLToPath(new URL('./fixtures/instance-api-caller.ts', import.meta.url));
const INTERNAL = '/apis/v1/internal/instances';
const INVALID = 'Please send valid token for you app instance. The token value is available in the DROVE_APP_INSTANCE_AUTH_TOKEN environment variable';
const OP = { timeout: '60s', parallelism: 2, failureStrategy: 'STOP' };

const logs = captureLogLines();
let controller: TestController;
let api: ApiClient;
const outDir = mkdtempSync(path.join(tmpdir(), 'corral-tokens-'));
let appId: string;

interface CallerResult { at: number; status: number; body?: { status: string; message?: string; data?: { instanceId: string; appId: string; state: string }[] } }
const result = (instanceId: string): CallerResult | undefined => {
  try {
    return JSON.parse(readFileSync(path.join(outDir, `${instanceId}.json`), 'utf8')) as CallerResult;
  } catch {
    return undefined;
  }
};
const tokenOf = (instanceId: string) => readFileSync(path.join(outDir, `${instanceId}.token`), 'utf8');
const asInstance = (token: string) => ({
  get: (url: string) => apiClient(controller.url, false).get(url, { headers: { 'App-Instance-Authorization': token } }),
});
const callWith = (token: string, query = '') => asInstance(token).get(`${INTERNAL}${query}`);

async function healthyIds(count: number): Promise<string[]> {
  return waitFor(async () => {
    const list = (await api.get(`/apis/v1/applications/${appId}/instances`)).body.data as { instanceId: string; state: string }[];
    return list.length === count && list.every((i) => i.state === 'HEALTHY') ? list.map((i) => i.instanceId).sort() : undefined;
  }, { timeoutMs: 60_000, message: `${count} healthy instances` });
}

beforeAll(async () => {
  controller = await startTestController({
    logger: createLogger('controller', { level: 'debug', destination: logs.destination }),
    config: { executorLostAfterMs: 20_000, killTimeoutMs: 2_000 },
  });
  api = controller.api();
  for (const name of ['e1', 'e2']) {
    await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, name, cores: 4, memoryMb: 2048 });
  }
  const spec = httpAppSpec('tokens', 'tokens-app', {
    executable: { type: 'PROCESS', command: '/bin/sh' },
    args: ['-c', `${process.execPath} ${CALLER} & exec ${process.execPath} ${HTTP_APP} --marker=tokens-app`],
    env: { CONTROLLER_URL: controller.url, OUT_DIR: outDir },
    // two Node processes share the instance's hard memory limit: 64 MB would OOM-kill the caller
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 256 }],
  });
  const created = await api.post('/apis/v1/applications/operations', { type: 'CREATE', spec, instances: 2, opSpec: OP });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  appId = created.body.data.appId;
}, 120_000);

afterAll(stopAllTestProcesses);

describe('instance tokens', () => {
  it('let each instance list its app\'s instances with its own token', async () => {
    const ids = await healthyIds(2);
    for (const id of ids) {
      const answer = await waitFor(() => {
        const last = result(id);
        return last?.body?.status === 'SUCCESS' && last.body.data?.length === 2 && last.body.data.every((i) => i.state === 'HEALTHY') ? last : undefined;
      }, { timeoutMs: 30_000, message: `instance ${id} to see its siblings` });
      expect(answer.status).toBe(200);
      expect(answer.body?.data?.map((i) => i.instanceId)).toEqual(ids); // sorted by instanceId
      expect(answer.body?.data?.every((i) => i.appId === appId && i.state === 'HEALTHY')).toBe(true);
    }
  });

  it('are Drove\'s JWT: claims scoped to the app, the instance and its executor, no expiry', async () => {
    const [id] = await healthyIds(2);
    const token = tokenOf(id);
    const instance = (await api.get(`/apis/v1/applications/${appId}/instances/${id}`)).body.data;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', typ: 'JWT', kid: expect.any(String) });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'drove', sub: 'drove-controller', aud: 'drove-application-instance',
      droveAppId: appId, droveInstanceId: id, droveExecutorId: instance.executorId,
      jti: nameUuid(`${appId}:${id}:${instance.executorId}`),
    });
    expect(claims.exp).toBeUndefined();
    expect(nameUuid('a:b:c')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('refuse users (403), missing and bad tokens (401), and answer FAILED for a token of no live instance', async () => {
    const [id, other] = await healthyIds(2);
    const token = tokenOf(id);
    expect((await api.get(INTERNAL)).status).toBe(403); // admin
    expect((await controller.api({ user: 'guest', password: 'guest' }).get(INTERNAL)).status).toBe(403);
    expect((await controller.api(false).get(INTERNAL)).status).toBe(401);
    // an instance token opens nothing but the instance-facing API
    expect((await asInstance(token).get('/apis/v1/applications')).status).toBe(403);

    const forgedKey = new TextEncoder().encode('x'.repeat(32));
    const claims = decodeJwt(token);
    const { kid } = decodeProtectedHeader(token);
    const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', kid }).sign(forgedKey);
    const [head, , signature] = token.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...claims, droveInstanceId: other })).toString('base64url')}.${signature}`;
    for (const bad of ['garbage', forged, tampered, `${token}x`, `Bearer ${token}`]) {
      const { status, body } = await callWith(bad);
      expect(status, bad).toBe(401);
      expect(body.status).toBe('FAILED');
    }

    // genuine keys: an expired token, a token naming another app, one whose jti does not match
    const keys = await controller.ctx!.store.listInstanceTokenKeys();
    const key = keys.find((k) => k.kid === kid)!;
    const sign = (payload: Record<string, unknown>, expires?: number) => {
      const jwt = new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid }).setIssuer('drove').setSubject('drove-controller')
        .setAudience('drove-application-instance').setIssuedAt();
      if (expires !== undefined) jwt.setExpirationTime(expires);
      return jwt.sign(Buffer.from(key.secret, 'base64url'));
    };
    const genuine = { droveAppId: appId, droveInstanceId: id, droveExecutorId: claims.droveExecutorId };
    const jti = (p: typeof genuine) => nameUuid(`${p.droveAppId}:${p.droveInstanceId}:${p.droveExecutorId}`);
    expect((await callWith(await sign({ ...genuine, jti: jti(genuine) }, Math.floor(Date.now() / 1000) - 60))).status).toBe(401);
    expect((await callWith(await sign({ ...genuine, jti: nameUuid('someone:else:entirely') }))).status).toBe(401);
    const wrongApp = { ...genuine, droveAppId: 'other-1' };
    const { status, body } = await callWith(await sign({ ...wrongApp, jti: jti(wrongApp) }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'FAILED', message: INVALID });
    // and a genuine token of its own, sent by the test, still works
    expect((await callWith(token)).body.status).toBe('SUCCESS');
  });

  it('filter by state and forApp, and refuse a bad query', async () => {
    const [id] = await healthyIds(2);
    const token = tokenOf(id);
    expect((await callWith(token, '?state=UNHEALTHY')).body.data).toEqual([]);
    expect((await callWith(token, '?state=HEALTHY&forApp=true')).body.data).toHaveLength(2);
    const bad = await callWith(token, '?state=FINE');
    expect(bad.status).toBe(400);
    expect(bad.body.data.validationErrors).toEqual(['state has an unknown value "FINE" (use upper-case instance states such as HEALTHY)']);
    expect((await callWith(token, '?forApp=maybe')).status).toBe(400);
  });

  it('never appear in the controller\'s logs, events, masked spec or instance views', async () => {
    const ids = await healthyIds(2);
    const tokens = ids.map(tokenOf);
    const places = [
      JSON.stringify(logs.lines),
      (await api.get('/apis/v1/cluster/events?size=1000')).text,
      (await api.get(`/apis/v1/applications/${appId}/spec`)).text,
      (await api.get(`/apis/v1/applications/${appId}/instances`)).text,
      ...await Promise.all(ids.map(async (id) => (await api.get(`/apis/v1/applications/${appId}/instances/${id}`)).text)),
      (await api.get(`/apis/v1/cluster/executors/${(await api.get('/apis/v1/cluster/executors')).body.data[0].executorId}`)).text,
      (await api.get('/apis/v1/operations')).text,
    ];
    expect(logs.lines.some((l) => l.msg === 'controller listening')).toBe(true); // the capture works
    for (const token of tokens) {
      expect(token.length).toBeGreaterThan(100);
      for (const place of places) expect(place.includes(token)).toBe(false);
      // nor any of its three parts on its own (the signature is what makes it a credential)
      for (const place of places) expect(place.includes(token.split('.')[2])).toBe(false);
    }
  });

  it('survive a controller restart; new instances get tokens from a fresh key; a stopped instance\'s token is refused', async () => {
    const before = await healthyIds(2);
    const oldKid = decodeProtectedHeader(tokenOf(before[0])).kid;
    const restartedAt = Date.now();
    controller = await controller.restart();
    api = controller.api();
    // the running instances keep calling with the tokens minted before the restart
    for (const id of before) {
      await waitFor(() => {
        const last = result(id);
        return last && last.at > restartedAt + 500 && last.body?.status === 'SUCCESS' ? last : undefined;
      }, { timeoutMs: 30_000, message: `instance ${id} to be answered by the restarted controller` });
    }
    // no new key until the restarted controller mints a token
    expect((await controller.ctx!.store.listInstanceTokenKeys()).length).toBe(1);

    const scaled = await api.post('/apis/v1/applications/operations', { type: 'SCALE', appId, requiredInstances: 3, opSpec: OP });
    expect(scaled.status, JSON.stringify(scaled.body)).toBe(200);
    const after = await healthyIds(3);
    const added = after.find((id) => !before.includes(id))!;
    await waitFor(() => result(added)?.body?.data?.length === 3, { timeoutMs: 30_000, message: 'the new instance to see all three' });
    const newKid = decodeProtectedHeader(tokenOf(added)).kid;
    expect(newKid).not.toBe(oldKid);
    expect((await controller.ctx!.store.listInstanceTokenKeys()).map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());

    // stop one of the old instances: its token no longer speaks for a live instance
    const victim = before[0];
    const token = tokenOf(victim);
    const stop = await api.post('/apis/v1/applications/operations', { type: 'STOP_INSTANCES', appId, instanceIds: [victim], skipRespawn: true, opSpec: OP });
    expect(stop.status, JSON.stringify(stop.body)).toBe(200);
    await healthyIds(2);
    const { status, body } = await callWith(token);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'FAILED', message: INVALID });
    expect(statSync(path.join(outDir, `${added}.json`)).size).toBeGreaterThan(0);
  });
});
