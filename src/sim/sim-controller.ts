/**
 * The controller `corral sim` starts when it is given none: a `corral controller` child process
 * (its own event loop, so the fleet and the controller each get a core), SQLite in a temp dir
 * or the `--store` given, on a free loopback port, with the dev credentials.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CORRAL_BIN = fileURLToPath(new URL('../../bin/corral.js', import.meta.url));
const DEV_AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

export interface OwnController {
  url: string;
  secret: string;
  pid: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/apis/v1/ping`, { headers: { authorization: DEV_AUTH } })).ok;
  } catch {
    return false;
  }
}

/** Starts `corral controller` and resolves once it answers its ping (rejects with its last output if it exits first). */
export async function startOwnController(options: { port?: number; store?: string; secret: string; logLevel?: string }): Promise<OwnController> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'corral-sim-controller-'));
  const port = options.port ?? await freePort();
  const store = options.store ?? `sqlite:${path.join(dir, 'controller.db')}`;
  const child: ChildProcess = spawn(process.execPath, [CORRAL_BIN, 'controller', '--port', String(port), '--store', store], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CORRAL_CLUSTER_SECRET: options.secret, CORRAL_LOG_LEVEL: options.logLevel ?? 'warn', CORRAL_LOG_FORMAT: 'json' },
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4096);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!(await answers(url))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`the controller exited before answering: ${output.trim().split('\n').pop() ?? ''}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('the controller did not answer within 60 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, secret: options.secret, pid: child.pid!, stop };
}
