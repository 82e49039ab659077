/**
 * Runs a command inside a running container through the Engine exec API (CMD health and
 * readiness checks, preShutdown hooks). The engine has no "kill this exec" call, so on timeout
 * we signal the exec'd process by its host pid when the engine is local (same PID namespace)
 * and report exit code -1 with a note in the output.
 */
import type Docker from 'dockerode';
import { setLongTimeout } from '../../../common/long-timer.ts';
import type { ExecResult } from '../driver.ts';
import { DockerDriverError, engineMessage, isNotFound } from './docker-errors.ts';
import { FrameParser } from './log-frames.ts';

/** Output kept per exec; checks only need the start of it. */
const MAX_OUTPUT_BYTES = 64 * 1024;
const EXIT_CODE_POLL_MS = 20;
const EXIT_CODE_DEADLINE_MS = 2_000;

export interface ExecInput {
  docker: Docker;
  containerId: string;
  command: string[];
  timeoutMs: number;
  env?: Record<string, string>;
  /** Whether exec'd pids are ours to signal (local engine). */
  canSignalPids: boolean;
}

export async function execInContainer(input: ExecInput): Promise<ExecResult> {
  if (input.command.length === 0 || input.command.some((part) => typeof part !== 'string')) {
    throw new DockerDriverError('EXEC_FAILED', 'exec needs a non-empty command made of strings');
  }
  const container = input.docker.getContainer(input.containerId);
  let exec: Docker.Exec;
  let stream: NodeJS.ReadableStream & { destroy(): void };
  try {
    exec = await container.exec({
      Cmd: input.command,
      Env: input.env ? Object.entries(input.env).map(([k, v]) => `${k}=${v}`) : undefined,
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
    });
    stream = (await exec.start({ hijack: true, stdin: false })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  } catch (error) {
    const reason = isNotFound(error) ? 'the container does not exist' : engineMessage(error);
    throw new DockerDriverError('EXEC_FAILED', `could not run ${JSON.stringify(input.command.join(' '))} in container ${input.containerId.slice(0, 12)}: ${reason}`);
  }

  const chunks: Buffer[] = [];
  let kept = 0;
  const parser = new FrameParser();
  const timedOut = await new Promise<boolean>((resolve) => {
    const timer = setLongTimeout(() => finish(true), Math.max(1, input.timeoutMs));
    function finish(byTimeout: boolean) {
      timer.cancel();
      stream.removeAllListeners('data');
      resolve(byTimeout);
    }
    stream.on('data', (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) {
        if (kept >= MAX_OUTPUT_BYTES) continue;
        const part = frame.payload.subarray(0, MAX_OUTPUT_BYTES - kept);
        chunks.push(part);
        kept += part.length;
      }
    });
    stream.once('end', () => finish(false));
    stream.once('close', () => finish(false));
    stream.once('error', () => finish(false));
  });
  const output = Buffer.concat(chunks).toString('utf8');

  if (timedOut) {
    stream.destroy();
    await killExec(exec, input.canSignalPids);
    return { exitCode: -1, output: `${output}${output && !output.endsWith('\n') ? '\n' : ''}[corral] command timed out after ${input.timeoutMs} ms` };
  }
  return { exitCode: await exitCodeOf(exec), output };
}

/** The exit code can lag the end of the output stream by a moment on some engines. */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  const deadline = performance.now() + EXIT_CODE_DEADLINE_MS;
  for (;;) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
    if (performance.now() > deadline) return -1;
    await new Promise((resolve) => setTimeout(resolve, EXIT_CODE_POLL_MS));
  }
}

async function killExec(exec: Docker.Exec, canSignalPids: boolean): Promise<void> {
  if (!canSignalPids) return;
  try {
    const info = await exec.inspect();
    if (info.Running && info.Pid > 0) process.kill(info.Pid, 'SIGKILL');
  } catch {
    // Already gone, or not ours to signal: nothing left to do.
  }
}
