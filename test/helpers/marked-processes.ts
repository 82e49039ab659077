/**
 * The workloads of a test, found by the `--marker=<marker>` argument its fixture servers are
 * started with: which still run, and killing them all after the test.
 */
import { processesWhoseCommandLineIncludes } from './process-scan.ts';

/**
 * PIDs of live processes whose command line contains `--marker=<marker>`: the servers and the
 * process driver's `/bin/sh` wrappers around them (`serversOnly` leaves the wrappers out).
 */
export function processesWithMarker(marker: string, serversOnly = false): number[] {
  return processesWhoseCommandLineIncludes(`--marker=${marker}`)
    .filter((p) => !serversOnly || p.argv[0] === process.execPath)
    .map((p) => p.pid);
}

/** SIGKILLs every process carrying the marker (what a test leaves behind). */
export function killMarked(marker: string): void {
  for (const pid of processesWithMarker(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
