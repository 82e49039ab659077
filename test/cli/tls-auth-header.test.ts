/**
 * HTTPS endpoints (`-i/--insecure`) and the verbatim `-t/--auth-header`. corral's controller
 * serves plain HTTP (TLS is terminated in front of it), so the HTTPS controller here is a
 * minimal stub with a self-signed certificate made by openssl; it answers ping and the cluster
 * summary only to the expected Authorization header. Skipped where openssl is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/client/exit-codes.ts';
import { runCli, tempDir } from './helpers/run-cli.ts';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const dir = tempDir();
const TOKEN = 'Bearer test-token-123';
let server: https.Server;
let url = '';
const seenAuth: string[] = [];

beforeAll(async () => {
  if (!hasOpenssl) return;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (request, response) => {
    seenAuth.push(request.headers.authorization ?? '');
    if (request.headers.authorization !== TOKEN) return void response.writeHead(401).end();
    const data = request.url === '/apis/v1/ping' ? 'pong' : { leader: 'stub:443', state: 'NORMAL', numExecutors: 0, numApplications: 0, numActiveApplications: 0, numActiveTasks: 0, numLocalServices: 0, numActiveLocalServices: 0, freeCores: 0, usedCores: 0, totalCores: 0, freeMemory: 0, usedMemory: 0, totalMemory: 0 };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'SUCCESS', data, message: 'success' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => server?.close());

describe.skipIf(!hasOpenssl)('HTTPS and auth headers', () => {
  it('refuses an untrusted certificate with a hint, and accepts it with -i', async () => {
    const refused = await runCli(['-e', url, '-t', TOKEN, 'cluster', 'ping']);
    expect(refused.code).toBe(EXIT.UNREACHABLE);
    expect(refused.stderr).toMatch(/TLS certificate not trusted \(\w+\); pass -i\/--insecure to skip the check/);
    const accepted = await runCli(['-e', url, '-i', '-t', TOKEN, 'cluster', 'summary', '--json']);
    expect(accepted.stderr).toBe('');
    expect(JSON.parse(accepted.stdout).leader).toBe('stub:443');
  });

  it('sends -t verbatim instead of basic auth, also from a config file with insecure = true', async () => {
    seenAuth.length = 0;
    expect((await runCli(['-e', url, '-i', '-u', 'admin', '-p', 'admin', '-t', TOKEN, 'cluster', 'ping'])).code).toBe(0);
    expect(new Set(seenAuth)).toEqual(new Set([TOKEN]));
    const file = path.join(dir, 'config');
    writeFileSync(file, `[secure]\nendpoint = ${url}\nauth_header = ${TOKEN}\ninsecure = true\n`);
    const viaConfig = await runCli(['-c', 'secure', 'cluster', 'leader'], { env: { CORRAL_CONFIG: file } });
    expect([viaConfig.code, viaConfig.stdout]).toEqual([0, 'stub:443\n']);
    const wrongToken = await runCli(['-e', url, '-i', '-t', 'Bearer nope', 'cluster', 'ping']);
    expect(wrongToken.code).toBe(EXIT.UNAUTHORIZED);
  });
});
