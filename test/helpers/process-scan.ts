/**
 * Finds live processes by their command line (/proc), for tests that must prove what runs and
 * what is gone: app servers, task processes, executors. Zombies count as gone.
 *
 *   const survivors = processesWhoseCommandLineIncludes(`--marker=${marker}`);
 */
import { readdirSync, readFileSync } from 'node:fs';

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
