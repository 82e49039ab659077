/**
 * The environment a host process gets, and commands run beside a workload (CMD checks,
 * preShutdown hooks): in its working directory, its own process group, output capped, killed
 * with its group at the timeout.
 */
import { spawn } from 'node:child_process';
import { setLongTimeout } from '../../../common/long-timer.ts';
import type { ExecResult } from '../driver.ts';
import { signalExitCode, signalGroup } from './process-group.ts';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Variables of the executor's own environment a host process reasonably expects. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'LOGNAME', 'SHELL'];
const EXEC_OUTPUT_LIMIT = 64 * 1024;

/** The environment a host process gets: a few of the executor's variables, then the workload's. */
export function processEnvironment(workloadEnv: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return Object.assign(env, workloadEnv);
}

/** Runs `command` in `workDir` with `env`; exit code 127/126 when it cannot start, -1 on timeout. */
export function execCommand(workDir: string, command: string[], timeoutMs: number, env: Record<string, string>): Promise<ExecResult> {
  if (command.length === 0 || !command[0]) return Promise.resolve({ exitCode: 127, output: 'empty command' });
  return new Promise<ExecResult>((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn(command[0], command.slice(1), {
      cwd: workDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      if (output.length < EXEC_OUTPUT_LIMIT) output += chunk.toString('utf8').slice(0, EXEC_OUTPUT_LIMIT - output.length);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const timer = setLongTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      timer.cancel();
      const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : 126;
      resolve({ exitCode: code, output: `${command[0]}: ${error.message}` });
    });
    child.once('close', (code, sig) => {
      timer.cancel();
      if (timedOut) resolve({ exitCode: -1, output: `${output}\n[timed out after ${timeoutMs} ms]`.trim() });
      else resolve({ exitCode: code ?? (sig ? signalExitCode(sig) : -1), output });
    });
  });
}
