/**
 * The executor's side of the spawn helper when the helper dies with a request unread: the
 * kernel resets the socket (ECONNRESET on the next read). That must fail the pending spawn with
 * a SpawnHelperError, not escape as an uncaught exception (readline re-emits its input's
 * errors). The "helper" here is a real process listening on the helper's socket that never
 * reads, killed outright — what an OOM kill or an operator's `kill -9` does to the real one.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnClient, SpawnHelperError } from '../../src/executor/drivers/process/spawn-client.ts';
import { tempDir } from './helpers/workload-fixtures.ts';

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir('corral-spawn-reset-'));
});
afterAll(async () => {
  await cleanup();
});

describe('spawn client', () => {
  it('fails a pending spawn with SpawnHelperError when the helper dies with the request unread', async () => {
    const dir = path.join(root, 'spawn-helper');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const deaf = spawn(process.execPath, ['-e', `
      const net = require('node:net');
      net.createServer({ pauseOnConnect: true }, (socket) => console.log('accepted')).listen('spawn-helper.sock', () => console.log('listening'));
    `], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    const said: string[] = [];
    const heard = (word: string) => new Promise<void>((resolve) => {
      const check = () => (said.join('').includes(word) ? resolve() : deaf.stdout!.once('data', (chunk: Buffer) => { said.push(chunk.toString()); check(); }));
      check();
    });
    await heard('listening');

    const client = new SpawnClient(dir);
    const spawned = client.spawn({ file: '/bin/true', args: [], cwd: root, env: {}, log: path.join(root, 'out.log'), exit: { file: path.join(root, 'exits') } });
    const outcome = spawned.then(() => 'spawned', (error: unknown) => error);
    await heard('accepted');
    deaf.kill('SIGKILL');
    const error = await outcome;
    expect(error).toBeInstanceOf(SpawnHelperError);
    expect((error as Error).message).toBe('the spawn helper went away');
    client.close();
  });
});
