/**
 * Finds the binary a PROCESS executable names, before anything is spawned, so that a missing
 * or non-executable command fails with a readable reason instead of a shell's exit 127.
 * The checks are synchronous: two µs-scale syscalls per start, cheaper than thread-pool trips.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import path from 'node:path';

/** Raised when the command cannot be run; `message` is meant for the task's `errorMessage`. */
export class CommandNotRunnableError extends Error {
  readonly code = 'COMMAND_NOT_RUNNABLE';
}

function check(candidate: string, shown: string): 'ok' | 'missing' {
  let info;
  try {
    info = statSync(candidate);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    if (code === 'EACCES') throw new CommandNotRunnableError(`Command ${shown} is not accessible: permission denied`);
    throw new CommandNotRunnableError(`Command ${shown} cannot be inspected: ${(error as Error).message}`);
  }
  if (info.isDirectory()) throw new CommandNotRunnableError(`Command ${shown} is a directory, not an executable file`);
  try {
    accessSync(candidate, fsConstants.X_OK);
  } catch {
    throw new CommandNotRunnableError(`Command ${shown} is not executable: permission denied`);
  }
  return 'ok';
}

/**
 * Resolves `command` to an absolute path: names containing a slash are taken relative to
 * `cwd`; bare names are searched on `searchPath` (the workload's PATH).
 */
export async function resolveCommand(command: string, cwd: string, searchPath: string | undefined): Promise<string> {
  if (!command.trim()) throw new CommandNotRunnableError('Command is empty');
  if (command.includes('/')) {
    const candidate = path.resolve(cwd, command);
    if (check(candidate, command) === 'missing') throw new CommandNotRunnableError(`Command ${command} not found`);
    return candidate;
  }
  const dirs = (searchPath ?? '').split(':').filter(Boolean);
  let firstProblem: CommandNotRunnableError | undefined;
  for (const dir of dirs) {
    const candidate = path.join(dir, command);
    try {
      if (check(candidate, candidate) === 'ok') return candidate;
    } catch (error) {
      // Like a shell, keep looking further down PATH; report the first problem if nothing fits.
      firstProblem ??= error as CommandNotRunnableError;
    }
  }
  if (firstProblem) throw firstProblem;
  throw new CommandNotRunnableError(`Command ${command} not found on PATH (${dirs.join(':') || 'empty'})`);
}
