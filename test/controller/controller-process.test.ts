/**
 * `corral controller` runs under a Node tuned for a long-lived server (bin/corral.js,
 * docs/scale.md "Memory"): it replaces itself, keeping its process id, with a bounded young
 * generation and two malloc arenas. Checked on real child processes through /proc.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController } from '../helpers/test-controller.ts';

afterAll(() => stopAllTestProcesses());

function processFacts(pid: number): { argv: string[]; env: Record<string, string> } {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const env = Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  return { argv, env };
}

describe('the controller process', () => {
  it('runs with a bounded young generation and two malloc arenas, under the pid it was started with', async () => {
    const controller = await startTestController({ mode: 'child' });
    const { argv, env } = processFacts(controller.child!.pid!);
    expect(argv).toContain('--max-semi-space-size=16');
    expect(argv.slice(-3)).toEqual(['controller', '--config', expect.stringMatching(/controller\.json$/)]);
    expect(env.MALLOC_ARENA_MAX).toBe('2');
    // The pid the parent holds is the tuned process: it answers, and SIGTERM stops it.
    expect((await controller.api().get('/apis/v1/ping')).status).toBe(200);
    await controller.stop();
    expect(controller.child!.exitCode ?? controller.child!.signalCode).not.toBeNull();
  });

  it('is left as started with CORRAL_NODE_TUNING=0, and an operator\'s own setting wins', async () => {
    const plain = await startTestController({ mode: 'child', env: { CORRAL_NODE_TUNING: '0' } });
    const facts = processFacts(plain.child!.pid!);
    expect(facts.argv.some((a) => a.includes('semi-space'))).toBe(false);
    expect(facts.env.MALLOC_ARENA_MAX).toBeUndefined();
    await plain.stop();
    const own = await startTestController({ mode: 'child', env: { NODE_OPTIONS: '--max-semi-space-size=4', MALLOC_ARENA_MAX: '1' } });
    const ownFacts = processFacts(own.child!.pid!);
    expect(ownFacts.argv.some((a) => a.includes('semi-space'))).toBe(false);
    expect(ownFacts.env.MALLOC_ARENA_MAX).toBe('1');
    expect((await own.api().get('/apis/v1/ping')).status).toBe(200);
    await own.stop();
  });
});
