/**
 * Finds live processes by their command line (/proc), for tests that must prove what runs and
 * what is gone: app servers, task processes, executors. Zombies count as gone.
 *
 *   const survivors = processesWhoseCommandLineIncludes(`--marker=${marker}`);
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ScannedProcess {
  pid: number;
  /** The command line split into its arguments. */
  argv: string[];
}

/** Live processes (other than this one) whose command line contains `text`. */
export function processesWhoseCommandLineIncludes(text: string): ScannedProcess[] {
  const found: ScannedProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(text)) continue;
      if (/\) Z /.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue; // a zombie is not running
      found.push({ pid: Number(entry), argv: cmdline.split('\0').filter((a) => a !== '') });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/**
 * Live processes whose working directory is inside one of `dirs`, with their process group:
 * the workloads an executor under test started in its data dir (`workloads/<id>/work`).
 */
export function processesWorkingUnder(dirs: Iterable<string>): { pid: number; pgid: number }[] {
  const roots = [...dirs].map((dir) => dir.replace(/\/+$/, ''));
  if (roots.length === 0) return [];
  const found: { pid: number; pgid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      // A deleted directory reads as "<path> (deleted)": still under the root.
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (!roots.some((root) => cwd === root || cwd.startsWith(`${root}/`))) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      found.push({ pid: Number(entry), pgid: Number(fields[2]) });
    } catch {
      // gone, or not ours to look at
    }
  }
  return found;
}
