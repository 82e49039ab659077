/**
 * What confines a host process to the cores and memory it booked: a cgroup per workload
 * (src/executor/host/cgroups/), joined before the command runs.
 *
 * Joining: the helper (or the executor) forks `/bin/sh`, which writes its own pid to the
 * workload cgroup's `cgroup.procs` file(s) and then `exec`s the command: same pid, same process
 * group, same environment, and not one instruction of the command runs outside its limits. (A
 * process moved into a cgroup after it started could allocate and spin before the move lands.)
 * A shell that cannot join exits 125 with the reason in output.log.
 *
 *  - `cgroups`: the executor confines every workload.
 *  - `refuse`: enforcement was asked for (the default) but the host gives no writable cgroups:
 *    every start fails in PROVISIONING with the reason, so nothing runs unconfined unnoticed.
 *  - `none`: `--no-enforce` (logged at start and shown in the executor details), or a driver
 *    built without confinement (tests of other behaviour).
 */
import { chown } from 'node:fs/promises';
import type { Allocation } from '../../../api/resource-types.ts';
import { pause } from '../../abortable-wait.ts';
import type { CgroupUsage, WorkloadCgroups } from '../../host/cgroups/workload-cgroups.ts';
import type { HostPlacement } from '../../host/resource-plan.ts';
import type { ExitResult, WorkloadStartSpec } from '../driver.ts';
import type { SpawnRequest } from './spawn-client.ts';

export type Confinement =
  | { mode: 'cgroups'; cgroups: WorkloadCgroups; placement: (allocation: Allocation) => HostPlacement }
  | { mode: 'refuse'; reason: string }
  | { mode: 'none' };

/** `exec`s the command once the shell is in every hierarchy's cgroup (newline-separated paths). */
const JOIN_SCRIPT = 'IFS=\'\n\'; for f in $CORRAL_CGROUP_PROCS; do echo $$ > "$f" || { echo "corral: cannot join the workload cgroup ($f)" >&2; exit 125; }; done; '
  + 'unset IFS CORRAL_CGROUP_PROCS; exec "$@"';
/** How long the leftovers of an ended workload get to leave its cgroup after SIGKILL. */
const EMPTY_WAIT_MS = 5_000;

export class ProcessConfinement {
  readonly confinement: Confinement;

  constructor(confinement: Confinement = { mode: 'none' }) {
    this.confinement = confinement;
  }

  get enforced(): boolean {
    return this.confinement.mode === 'cgroups';
  }

  /** PROVISIONING: refuses a start this executor cannot confine. */
  check(): void {
    if (this.confinement.mode === 'refuse') {
      throw new Error(`this executor cannot confine host processes to their cores and memory (${this.confinement.reason}); `
        + 'its operator may start it with --no-enforce to run PROCESS workloads unconfined');
    }
  }

  /**
   * Makes the workload's cgroup and returns the start request that joins it, plus what the
   * handle keeps (the cgroup's name and the memory limit an OOM message quotes).
   */
  async enter(spec: WorkloadStartSpec, request: SpawnRequest): Promise<{ request: SpawnRequest; handle: Record<string, string | number> }> {
    if (this.confinement.mode !== 'cgroups') return { request, handle: {} };
    const { cgroups, placement } = this.confinement;
    const where = placement(spec.allocation);
    const limits = { ...where, memoryBytes: Math.round(spec.allocation.memoryMB * 1024 * 1024) };
    let procs: string[];
    try {
      procs = await cgroups.create(spec.instanceId, limits).catch(async () => {
        // The parents may have gone since the executor started (removed while empty): once more, from the top.
        await cgroups.remove(spec.instanceId).catch(() => undefined);
        await cgroups.prepare();
        return cgroups.create(spec.instanceId, limits);
      });
    } catch (error) {
      // Half made (a limit the kernel refused): nothing of it may stay behind.
      await cgroups.remove(spec.instanceId).catch(() => undefined);
      throw new Error(`cannot confine the workload: ${(error as Error).message}`, { cause: error });
    }
    // The shell joins as the workload's user: v1 lets a process move itself when it may write the file.
    if (request.uid !== undefined) for (const file of procs) await chown(file, request.uid, request.gid ?? -1).catch(() => undefined);
    return {
      request: { ...request, file: '/bin/sh', args: ['-c', JOIN_SCRIPT, 'corral-cgroup', request.file, ...request.args], env: { ...request.env, CORRAL_CGROUP_PROCS: procs.join('\n') } },
      handle: { cgroup: spec.instanceId, memoryLimitMb: spec.allocation.memoryMB },
    };
  }

  /** The handle fields of a workload found again after a restart (`adopt`). */
  handleFields(spec: WorkloadStartSpec): Record<string, string | number> {
    return this.enforced ? { cgroup: spec.instanceId, memoryLimitMb: spec.allocation.memoryMB } : {};
  }

  /** An exit, with the OOM kill said when the kernel killed anything of the workload for its memory. */
  async explain(exit: ExitResult, state: Record<string, string | number>): Promise<ExitResult> {
    if (this.confinement.mode !== 'cgroups' || typeof state.cgroup !== 'string') return exit;
    // Only the OOM count is read at every exit (the full usage is five files); the limit only when it is needed.
    const { cgroups } = this.confinement;
    const kills = await cgroups.oomKills(state.cgroup).catch(() => undefined);
    if (!kills) return exit;
    const limitMb = Number(state.memoryLimitMb) || Math.round(((await cgroups.usage(state.cgroup).catch(() => undefined))?.memoryLimitBytes ?? 0) / 1048576);
    return { ...exit, oom: { limitMb } };
  }

  /** The workload cgroup's figures (stats). */
  async usage(state: Record<string, string | number>): Promise<CgroupUsage | undefined> {
    if (this.confinement.mode !== 'cgroups' || typeof state.cgroup !== 'string') return undefined;
    return this.confinement.cgroups.usage(state.cgroup).catch(() => undefined);
  }

  /** Kills whatever is left in the workload's cgroup, then removes it. */
  async release(state: Record<string, string | number>): Promise<void> {
    if (this.confinement.mode !== 'cgroups' || typeof state.cgroup !== 'string') return;
    await this.removeCgroup(this.confinement.cgroups, state.cgroup);
  }

  /** Cgroups of workloads nobody knows (an executor crashed between creating one and saving its record): emptied and removed. */
  async reapOrphans(known: Set<string>): Promise<string[]> {
    if (this.confinement.mode !== 'cgroups') return [];
    const { cgroups } = this.confinement;
    const removed: string[] = [];
    for (const name of await cgroups.list()) {
      if (known.has(name)) continue;
      await this.removeCgroup(cgroups, name);
      removed.push(name);
    }
    return removed;
  }

  /** The executor is going: its cgroup parents go too when no workload is left in them. */
  async close(): Promise<void> {
    if (this.confinement.mode === 'cgroups') await this.confinement.cgroups.removeParentsIfEmpty();
  }

  private async removeCgroup(cgroups: WorkloadCgroups, name: string): Promise<void> {
    const deadline = Date.now() + EMPTY_WAIT_MS;
    for (;;) {
      const pids = await cgroups.pids(name);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (Date.now() > deadline) throw new Error(`processes ${pids.join(', ')} are still in cgroup ${name} after SIGKILL`);
      await pause(50);
    }
    await cgroups.remove(name);
  }
}
