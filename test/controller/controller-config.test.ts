/**
 * The controller configuration file (YAML/JSON, Drove durations, one-line errors naming file and
 * field) and the `corral controller` command's start-up behaviour as a real child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, compileControllerConfig, controllerConfigToFile, loadControllerConfig } from '../../src/controller/config-loader.ts';
import { defaultControllerConfig } from '../../src/controller/config.ts';
import { isLoopbackHost } from '../../src/controller/config-safety.ts';
import { api } from '../helpers/api-client.ts';
import { connectFakeExecutor } from '../helpers/fake-executor.ts';
import { stopAllTestProcesses, trackChild, trackTempDir } from '../helpers/child-processes.ts';
import { freePort } from '../helpers/free-port.ts';
import { waitFor } from '../helpers/wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'corral-config-'));
trackTempDir(dir);

function writeConfig(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function runController(args: string[], env: Record<string, string> = {}): { done: Promise<{ code: number | null; stderr: string; stdout: string }>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/node'), [path.join(ROOT, 'bin/corral.js'), 'controller', ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CORRAL_LOG_LEVEL: 'info', ...env },
  });
  trackChild(child);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  return {
    done: new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr, stdout }))),
    kill: (signal) => child.kill(signal),
  };
}

afterAll(stopAllTestProcesses);

describe('controller config file', () => {
  it('reads YAML with Drove durations, users with bcrypt hashes and an op spec', async () => {
    const file = writeConfig('ok.yaml', `
host: 0.0.0.0
port: 4100
store: sqlite:/tmp/x.db
clusterSecret: a-long-secret
users:
  - { username: ops, password: "$2b$10$abcdefghijklmnopqrstuv", role: drove_external_maintenance }
defaultOpSpec: { timeout: 5m, parallelism: 4, failureStrategy: STOP }
executorLostAfter: 10s
executorRemovedAfter: 5 minutes
maintenanceGrace: 0s
eventRetention: 2h
bodyLimitBytes: 4096
`);
    const config = await loadControllerConfig(file);
    expect(config).toMatchObject({
      host: '0.0.0.0', port: 4100, store: 'sqlite:/tmp/x.db', clusterSecret: 'a-long-secret',
      users: [{ username: 'ops', role: 'DROVE_EXTERNAL_MAINTENANCE' }],
      defaultOpSpec: { timeout: { count: 5, unit: 'minutes' }, parallelism: 4, failureStrategy: 'STOP' },
      executorLostAfterMs: 10_000, executorRemovedAfterMs: 300_000, maintenanceGraceMs: 0, eventRetentionMs: 7_200_000,
      bodyLimitBytes: 4096,
      snapshotIntervalMs: defaultControllerConfig().snapshotIntervalMs,
    });
  });

  it('reads JSON too, and lets flags override the file', async () => {
    const file = writeConfig('ok.json', JSON.stringify({ port: 4200, authEnabled: false }));
    expect(await loadControllerConfig(file, { port: 4300, host: '10.0.0.1' })).toMatchObject({ port: 4300, host: '10.0.0.1', authEnabled: false });
    expect(await loadControllerConfig(undefined, { port: 1 })).toMatchObject({ port: 1, host: '127.0.0.1' });
  });

  it('round-trips a config through its file form', () => {
    const config = defaultControllerConfig({ executorLostAfterMs: 1_500, port: 1234 });
    expect(compileControllerConfig(controllerConfigToFile(config), 'x')).toEqual(config);
  });

  it.each([
    ['executorLostAfter: 10x\n', 'executorLostAfter: Invalid duration unit in "10x"'],
    ['executorLostAfter: 10\n', 'executorLostAfter: must be a duration string'],
    ['snapshotInterval: 0s\n', 'snapshotInterval: must be at least 1 ms'],
    ['port: http\n', 'port:'],
    ['portt: 4000\n', 'portt: unknown setting'],
    ['users:\n  - { username: a, password: b, role: GOD }\n', 'users.0.role: unknown role "GOD"'],
    ['users:\n  - { username: a, password: b, role: DROVE_EXTERNAL_ROOT }\n  - { username: a, password: c, role: DROVE_EXTERNAL_ROOT }\n', 'users.1.username: duplicate user "a"'],
    ['users: []\n', 'users: at least one user'],
    ['defaultOpSpec: { timeout: 5m, parallelism: 0, failureStrategy: STOP }\n', 'defaultOpSpec.parallelism:'],
    ['store: mysql://x\n', 'store: must be "sqlite:PATH" or a postgres:// URL'],
    ['executorLostAfter: 1m\nexecutorRemovedAfter: 30s\n', 'executorRemovedAfter: must not be shorter than executorLostAfter'],
    ['- just\n- a list\n', '(top level): must be a mapping'],
    ['port: [unclosed\n', 'not valid YAML/JSON'],
  ])('rejects %j with one line naming the file and field', async (text, expected) => {
    const file = writeConfig('bad.yaml', text);
    const error = await loadControllerConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.startsWith(`${file}: `)).toBe(true);
    expect(message).toContain(expected);
    expect(message).not.toContain('\n');
  });

  it('names a missing file', async () => {
    await expect(loadControllerConfig(path.join(dir, 'absent.yaml'))).rejects.toThrow(/absent\.yaml: cannot read the file: ENOENT/);
  });
});

describe('corral controller command', () => {
  it('exits 1 with one line on stderr for a bad config', async () => {
    const file = writeConfig('cli-bad.yaml', 'maintenanceGrace: soon\n');
    const { code, stderr } = await runController(['--config', file]).done;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([`corral controller: ${file}: maintenanceGrace: Invalid duration: "soon" (expected a whole number and a unit, e.g. "30 seconds" or "5m")`]);
  });

  it('runs with flags overriding the file, refuses a second controller on the same database, and stops on SIGTERM', async () => {
    const port = await freePort();
    const store = `sqlite:${path.join(dir, 'cli.db')}`;
    const file = writeConfig('cli-ok.yaml', `port: 1\nstore: sqlite:${path.join(dir, 'never.db')}\n`);
    const first = runController(['--config', file, '--port', String(port), '--host', '127.0.0.1', '--store', store]);
    await waitFor(async () => (await api(`http://127.0.0.1:${port}`).get('/apis/v1/ping')).status === 200, { timeoutMs: 20_000 });

    const second = await runController(['--port', String(await freePort()), '--store', store]).done;
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(/^corral controller: /);

    first.kill('SIGTERM');
    const { code, stdout } = await first.done;
    expect(code).toBe(0);
    expect(stdout).toContain('controller listening');
    expect(stdout).toContain('controller stopping');
  });
});

describe('secure defaults beyond loopback (docs/security.md)', () => {
  const outside = async (text: string | undefined, env: Record<string, string> = {}) => {
    const port = await freePort();
    const args = ['--host', '0.0.0.0', '--port', String(port), '--store', `sqlite:${path.join(dir, `exposed-${port}.db`)}`];
    if (text !== undefined) args.push('--config', writeConfig(`exposed-${port}.yaml`, text));
    return { ...runController(args, env), url: `http://127.0.0.1:${port}` };
  };
  const USERS = 'users:\n  - { username: admin, password: s3cret-admin, role: DROVE_EXTERNAL_ROOT }\n'
    + '  - { username: ops, password: "$2b$10$abcdefghijklmnopqrstuuKXOa7x1SW9c5vLuFRQXQYP5tPJQYQWy", role: DROVE_EXTERNAL_MAINTENANCE }\n';

  it('knows which hosts are loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'ctl.example.com', '192.168.1.1']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses to start with the built-in secret and users, or the dev secret given explicitly', async () => {
    const none = await (await outside(undefined)).done;
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/clusterSecret: required when listening on 0\.0\.0\.0.*users: required/);

    const devSecret = await (await outside(`clusterSecret: corral-dev-secret\n${USERS}`)).done;
    expect(devSecret.code).toBe(1);
    expect(devSecret.stderr).toMatch(/the dev secret "corral-dev-secret" is refused/);

    const noUsers = await (await outside('clusterSecret: a-real-long-secret\n')).done;
    expect(noUsers.code).toBe(1);
    expect(noUsers.stderr).toMatch(/users: required when listening on 0\.0\.0\.0/);
    expect(noUsers.stderr).not.toMatch(/clusterSecret/);
  });

  it('starts with an explicit secret (here from CORRAL_CLUSTER_SECRET) and users, warning about plain-text passwords', async () => {
    const run = await outside(USERS, { CORRAL_CLUSTER_SECRET: 'from-the-environment' });
    await waitFor(async () => (await api(run.url, { user: 'admin', password: 's3cret-admin' }).get('/apis/v1/ping').catch(() => undefined))?.status === 200, { timeoutMs: 20_000 });
    expect((await api(run.url).get('/apis/v1/ping')).status).toBe(401);
    const executor = await connectFakeExecutor(run.url, { secret: 'from-the-environment' });
    expect(executor.welcome?.type).toBe('welcome');
    await executor.close();
    run.kill('SIGTERM');
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/the password of \\"admin\\" is plain text/);
    expect(stdout).not.toMatch(/the password of \\"ops\\"/);
  });
});
