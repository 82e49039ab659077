/**
 * Faults at the door of a PostgreSQL cluster (docs/ha.md): a controller with another cluster
 * secret, an unreachable store. Each is one readable line, exit code 1, and nothing written.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { freePort } from '../helpers/free-port.ts';
import { startHaCluster, type HaCluster } from '../helpers/ha-cluster.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = path.join(ROOT, 'node_modules/.bin/node');
let ha: HaCluster;

beforeAll(async () => {
  ha = await startHaCluster({ controllers: 1 });
  await ha.settled();
}, 120_000);
afterAll(async () => {
  await ha?.close();
  await stopAllTestProcesses();
}, 60_000);

function runController(args: string[], secret: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [path.join(ROOT, 'bin/corral.js'), 'controller', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CORRAL_CLUSTER_SECRET: secret, CORRAL_LOG_LEVEL: 'error' },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('joining a PostgreSQL cluster', () => {
  it('refuses a controller whose cluster secret differs from the running ones, writing nothing', async () => {
    const store = ha.controllers[0].config.store;
    const before = await ha.schema.query<{ node_id: string }>(`SELECT node_id FROM ${ha.schema.name(0)}.controllers`);
    const port = await freePort();
    const { code, stderr } = await runController(['--port', String(port), '--store', store, '--advertise-url', `http://127.0.0.1:${port}`], 'another-secret-entirely');
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `corral controller: this controller's cluster secret differs from the one the running controllers of this store use (${ha.controllers[0].url}); give every controller the same secret (docs/ha.md)`,
    ]);
    expect(await ha.schema.query(`SELECT node_id FROM ${ha.schema.name(0)}.controllers`)).toEqual(before);
    expect((await ha.pings())).toEqual([200]);
  }, 60_000);

  it('refuses an unreachable store in one line', async () => {
    const port = await freePort();
    const dead = await freePort();
    const { code, stderr } = await runController(['--port', String(port), '--store', `postgres://postgres@127.0.0.1:${dead}/postgres`], 'a-secret-long-enough');
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^corral controller: Cannot use the PostgreSQL store at postgres://postgres@127\\.0\\.0\\.1:${dead}/postgres: .*ECONNREFUSED`));
  }, 60_000);
});
