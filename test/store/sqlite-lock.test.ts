/**
 * Single controller per SQLite file, checked with real processes: a second opener fails
 * fast with StoreLockedError, and once the holder is SIGKILLed the kernel has dropped its
 * lock so a new controller opens the file (and finds what the dead one committed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.ts';
import { openStore } from '../../src/controller/store/open-store.ts';
import { StoreLockedError } from '../../src/controller/store/store.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'hold-store.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'corral-lock-'));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ChildResult { firstLine: string; child: ChildProcess }

/** Starts the fixture and resolves with its first output line (or rejects after the deadline). */
function startHolder(file: string, deadlineMs = 15_000): Promise<ChildResult> {
  const child = spawn(process.execPath, [FIXTURE, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child printed nothing within ${deadlineMs} ms; stderr: ${stderr}`)), deadlineMs);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ firstLine: line, child });
    });
    child.once('exit', (code) => {
      // A line may still be buffered; give readline its turn before judging.
      setImmediate(() => reject(new Error(`child exited (${code}) without output; stderr: ${stderr}`)));
    });
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('SQLite single-controller lock', () => {
  it('refuses a second controller fast, and frees the file when the holder is SIGKILLed', async () => {
    const file = path.join(dir, 'a', 'controller.db');
    const holder = await startHolder(file);
    expect(holder.firstLine).toBe('OPEN');

    const startedAt = performance.now();
    const second = await startHolder(file);
    expect(second.firstLine).toBe(
      `FAILED STORE_LOCKED Another corral controller is already using ${file}; stop it or use a different --data-dir `
      + '(a SQLite store serves one controller: run several on a PostgreSQL store, docs/ha.md)',
    );
    expect((await exited(second.child)).code).toBe(3);
    // Fails at open, not after a busy wait (process start-up included).
    expect(performance.now() - startedAt).toBeLessThan(10_000);

    const inProcess = await openStore(`sqlite:${file}`, { logger: silentLogger }).catch((e: unknown) => e);
    expect(inProcess).toBeInstanceOf(StoreLockedError);
    expect((inProcess as StoreLockedError).code).toBe('STORE_LOCKED');

    holder.child.kill('SIGKILL');
    expect((await exited(holder.child)).signal).toBe('SIGKILL');

    const store = await openStore(`sqlite:${file}`, { logger: silentLogger });
    expect(await store.getExecutor(`held-by-${holder.child.pid}`)).toBeDefined();
    // …and while this process holds it, a child is refused again.
    const third = await startHolder(file);
    expect(third.firstLine).toMatch(/^FAILED STORE_LOCKED /);
    await store.close();

    // A clean close releases the lock too.
    const fourth = await startHolder(file);
    expect(fourth.firstLine).toBe('OPEN');
  });
});
