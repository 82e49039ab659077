/**
 * Spawns the real `corral` binary (`node bin/corral.js …`, Node 24) for CLI tests, isolated
 * from the developer's own settings: CORRAL_CONFIG points at a per-test file and the
 * CORRAL_ENDPOINT/USERNAME/PASSWORD/AUTH_HEADER variables are cleared unless a test sets them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackChild } from '../../helpers/child-processes.ts';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const NODE = path.join(REPO, 'node_modules/.bin/node');
/** The binary under test; CORRAL_TEST_BIN may point at another entry while developing. */
export const BIN = process.env.CORRAL_TEST_BIN ?? path.join(REPO, 'bin/corral.js');

export const COMPILE_CACHE = path.join(tmpdir(), 'corral-cli-test-compile-cache');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

/** A fresh temp directory for one test file (config files, downloads, specs). */
export function tempDir(prefix = 'corral-cli-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['CORRAL_ENDPOINT', 'CORRAL_USERNAME', 'CORRAL_PASSWORD', 'CORRAL_AUTH_HEADER', 'CORRAL_CONFIG']) delete env[key];
  env.CORRAL_CONFIG = path.join(tmpdir(), `corral-cli-no-config-${process.pid}`);
  // Node's compile cache halves the start-up CPU of each of the many CLI runs (measured 0.57 s →
  // 0.27 s user per run on this machine); it changes nothing the CLI does.
  env.NODE_COMPILE_CACHE = COMPILE_CACHE;
  env.CORRAL_CLI_POLL_MS = '100';
  env.CORRAL_CLI_TAIL_MS = '100';
  env.CORRAL_CLI_EVENTS_POLL_MS = '200';
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Everything each started child wrote so far, so waits never miss output that came early. */
const outputs = new WeakMap<ChildProcess, { stdout: string; stderr: string }>();

/** Records a child's output from the start (for processes not started by startCli, e.g. `script`). */
export function captureCli<T extends ChildProcess>(child: T): T {
  const output = { stdout: '', stderr: '' };
  outputs.set(child, output);
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output.stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output.stderr += d));
  trackChild(child);
  return child;
}

/** Starts the binary without waiting (for follow/tail/Ctrl-C tests); stdin stays open. */
export function startCli(args: string[], options: CliOptions = {}): ChildProcess {
  return captureCli(spawn(NODE, [BIN, ...args], { cwd: options.cwd ?? REPO, env: cliEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] }));
}

/** Runs the binary to completion, with `input` (or nothing) on stdin, and collects its output. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  if (options.input !== undefined) child.stdin?.end(options.input);
  else child.stdin?.end();
  return collect(child, options);
}

/** Waits for a started child to exit (SIGKILL and reject after `timeoutMs`). */
export function collect(child: ChildProcess, options: CliOptions = {}): Promise<CliResult> {
  const output = outputs.get(child) ?? { stdout: '', stderr: '' };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`corral did not finish within ${options.timeoutMs ?? 30_000} ms\nstdout: ${output.stdout}\nstderr: ${output.stderr}`));
    }, options.timeoutMs ?? 30_000);
    const done = () => {
      clearTimeout(timer);
      resolve({ code: child.exitCode, signal: child.signalCode, stdout: output.stdout, stderr: output.stderr });
    };
    child.on('error', reject);
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.on('close', done);
  });
}

/**
 * Resolves with the output so far once `child`'s stdout (or stderr) contains `text`, counting
 * what it wrote before the call too; rejects at the deadline.
 */
export function waitForOutput(child: ChildProcess, text: string | RegExp, timeoutMs = 20_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  const output = outputs.get(child);
  if (!output) throw new Error('waitForOutput needs a child started by startCli or captured with captureCli');
  const source = stream === 'stdout' ? child.stdout : child.stderr;
  const matches = () => (typeof text === 'string' ? output[stream].includes(text) : text.test(output[stream]));
  return new Promise((resolve, reject) => {
    if (matches()) return resolve(output[stream]);
    const timer = setTimeout(() => {
      source?.off('data', onData);
      reject(new Error(`did not see ${String(text)} within ${timeoutMs} ms; got: ${output[stream]}`));
    }, timeoutMs);
    // Registered after captureCli's own listener, so `output` already holds this chunk.
    const onData = () => {
      if (!matches()) return;
      clearTimeout(timer);
      source?.off('data', onData);
      resolve(output[stream]);
    };
    source?.on('data', onData);
  });
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Starts `program args…` (default: the corral binary) in a real pseudo-terminal (`script`) of
 * `columns` × 40, set with `stty`, so the width the program sees comes from the terminal itself
 * (COLUMNS is removed from its environment). `exec` makes it the only process in the
 * terminal's foreground group, so a typed Ctrl-C (\x03 on stdin) reaches only it. What it
 * draws arrives on the child's stdout, escape sequences and all (see drawnLines).
 */
export function startInTerminal(args: string[], options: CliOptions & { columns?: number } = {}): ChildProcess & { stdin: NodeJS.WritableStream } {
  const command = `stty cols ${options.columns ?? 80} rows 40; exec ${[NODE, BIN, ...args].map(shellQuote).join(' ')}`;
  const env = cliEnv({ ...options.env, SHELL: '/bin/sh', COLUMNS: undefined, LINES: undefined });
  return captureCli(spawn('script', ['-qfec', command, '/dev/null'], { cwd: options.cwd ?? REPO, env, stdio: ['pipe', 'pipe', 'pipe'] })) as ChildProcess & { stdin: NodeJS.WritableStream };
}

/**
 * The lines a terminal program drew, one per redraw: split where it moved the cursor to the
 * start of the line (CSI G, carriage return) or to a new one, with the escape sequences removed.
 */
export function drawnLines(output: string): string[] {
  return output
    .split(/\x1b\[\d*G|\r|\n/) // eslint-disable-line no-control-regex
    .map((part) => part.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')) // eslint-disable-line no-control-regex
    .filter((line) => line.trim() !== '');
}
