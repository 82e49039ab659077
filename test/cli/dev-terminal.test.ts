/**
 * `corral dev` as a person meets it: in a terminal its logs are readable lines (pino-pretty) and
 * a Ctrl-C stops it without a warning; piped, the logs stay JSON; a port in use is named with a
 * suggestion; the cores each dev executor offers are the machine's or explained. All through the
 * binary, the terminal being a real pseudo-terminal (`script`).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_MIN_CORES } from '../../src/dev/dev-defaults.ts';
import { api } from '../helpers/api-client.ts';
import { stopAllTestProcesses, stopChild, trackTempDir } from '../helpers/child-processes.ts';
import { freePort } from '../helpers/free-port.ts';
import { BIN, NODE, REPO, captureCli, cliEnv, collect, drawnLines, startInTerminal, tempDir, waitForOutput } from './helpers/run-cli.ts';

afterAll(async () => {
  await stopAllTestProcesses();
}, 60_000);

const TIMEOUT_MS = 90_000;

/** A data dir removed after the file's tests (with what the executors left in it). */
function dataDir(prefix: string): string {
  const dir = tempDir(prefix);
  trackTempDir(dir);
  return dir;
}

describe('corral dev', () => {
  it('in a terminal: readable log lines, and Ctrl-C stops it without a warning or a JSON line', async () => {
    const port = await freePort();
    const child = startInTerminal(['dev', '--port', String(port), '--data-dir', dataDir('corral-dev-tty-')], { env: { CORRAL_LOG_LEVEL: 'info' }, columns: 120 });
    const done = collect(child, { timeoutMs: 60_000 });
    try {
      await waitForOutput(child, `corral dev cluster is up: http://127.0.0.1:${port}`, 30_000);
      // The executor logs its side of the connection a moment after the controller accepts it
      // (and the banner is printed): Ctrl-C only once both are on the terminal.
      await waitForOutput(child, /\(executor\): (\x1b\[\d+m)?connected to the controller/, 30_000); // eslint-disable-line no-control-regex
      child.stdin.write('\x03');
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    const result = await done;
    expect(result.code).toBe(0);
    // The terminal echoes the Ctrl-C as `^C` wherever the cursor happens to be.
    const lines = drawnLines(result.stdout.replaceAll('^C', '\n'));
    expect(result.stdout).not.toContain('{"level"');
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d\d:\d\d:\d\d\] INFO \(controller\): controller listening \{"url":"http:\/\/127\.0\.0\.1:\d+"/));
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d\d:\d\d:\d\d\] INFO \(executor\): connected to the controller /));
    expect(lines).toContain('SIGINT: stopping the dev cluster…');
    // The executors lose the controller on the way out: expected, so not a warning.
    expect(lines).toContainEqual(expect.stringMatching(/INFO \(executor\): the controller is shutting down; reconnecting until one answers/));
    expect(lines.filter((line) => /\b(WARN|ERROR)\b/.test(line))).toEqual([]);
  }, TIMEOUT_MS);

  it('piped: JSON logs; a second one on the same port says which port and suggests --port; cores are the machine\'s or explained', async () => {
    const port = await freePort();
    const firstDir = dataDir('corral-dev-pipe-');
    const first = captureCli(spawn(NODE, [BIN, 'dev', '--port', String(port), '--data-dir', firstDir], {
      cwd: REPO, env: cliEnv({ CORRAL_LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'],
    }));
    try {
      const banner = await waitForOutput(first, `corral dev cluster is up: http://127.0.0.1:${port}`, 30_000);
      const listening = banner.split('\n').find((line) => line.includes('"controller listening"'));
      expect(JSON.parse(listening!)).toMatchObject({ level: 30, name: 'controller', msg: 'controller listening' });

      const machine = os.availableParallelism();
      const cores = Math.max(DEV_MIN_CORES, machine);
      expect(banner).toContain(`executors:   1 (dev-1), ${cores} cores each`);
      if (machine < DEV_MIN_CORES) expect(banner).toContain(`(this machine has ${machine}: the cores are counted, not pinned, so`);
      const executors = (await api(`http://127.0.0.1:${port}`).get('/apis/v1/cluster/executors')).body.data as Array<{ freeCores: number }>;
      expect(executors.map((e) => e.freeCores)).toEqual([cores]);

      const second = captureCli(spawn(NODE, [BIN, 'dev', '--port', String(port), '--data-dir', dataDir('corral-dev-second-')], {
        cwd: REPO, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'],
      }));
      const refused = await collect(second, { timeoutMs: 30_000 });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(`corral dev: port ${port} is already in use on 127.0.0.1 (another corral dev, or another server); start on another one with --port, e.g. corral dev --port ${port + 100}\n`);
    } finally {
      await stopChild(first, 'SIGTERM', 30_000);
    }
  }, TIMEOUT_MS);
});
