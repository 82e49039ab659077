/** Paths a spec names inside the container, mapped into the task directory (configs, volumes). */
import path from 'node:path';

/**
 * `localFilename` / `pathInContainer` taken relative to the task directory: a leading `/` is
 * dropped, `..` that would climb out is refused. Returns the host path, or an error message.
 */
export function resolveInTaskDir(taskDir: string, requested: string, what: string): string | { error: string } {
  if (typeof requested !== 'string' || !requested.trim()) return { error: `${what}: a path is required` };
  if (requested.includes('\0')) return { error: `${what}: ${JSON.stringify(requested)} contains a NUL byte` };
  const relative = path.posix.normalize(requested.replace(/^\/+/, ''));
  if (relative === '.' || relative === '' || relative.endsWith('/')) return { error: `${what}: ${JSON.stringify(requested)} does not name a file` };
  if (relative === '..' || relative.startsWith('../')) return { error: `${what}: ${JSON.stringify(requested)} escapes the task directory` };
  return path.join(taskDir, relative);
}
