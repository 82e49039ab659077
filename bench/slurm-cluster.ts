/**
 * A real single-node Slurm (Debian's `slurm-wlm`, 22.05) for bench/tasks.ts to run the same
 * trivial jobs through, side by side with corral: its own `slurmctld -D` and `slurmd -D` on a
 * config, state and logs in a temp dir, on free loopback ports, stopped again at the end.
 *
 * Why each setting (each of these hung an earlier attempt on this kind of machine, read from the
 * daemons' logs):
 * - `AuthType=auth/none`, `CredType=cred/none`: the default auth/munge needs a running munged,
 *   which the package installs but nothing starts without systemd; slurmd then cannot register
 *   ("Munge encode failed … Did you start munged?") and retries every 3 s forever.
 * - `ProctrackType=proctrack/linuxproc`, `TaskPlugin=task/none`: the default proctrack/cgroup
 *   aborts every job step on this cgroup-v1 host ("cgroup namespace 'freezer' not mounted").
 * - `SlurmdParameters=config_overrides`: the node offers as many CPUs as corral's executor does
 *   (more than the machine has); without it slurmctld marks the node INVALID and jobs pend forever.
 *
 * Completions are read from `jobcomp/filetxt` (one line per finished job), which needs no
 * accounting database. Every wait has a timeout and says what it waited for.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from '../src/sim/sim-controller.ts';
import { pool } from './bench-jobs.ts';
import { processCpuMs, reapedChildrenCpuMs } from './proc-cpu.ts';

export interface SlurmOptions {
  jobs: number;
  /** Client concurrency: sbatch commands in flight at once. */
  concurrency: number;
  /** CPUs the node offers, i.e. jobs running at once (one CPU each). */
  slots: number;
  /** `sbatch`: one sbatch per job, like corral's one CREATE per task; `array`: one `--array=1-N` job. */
  submit: 'sbatch' | 'array';
  /** Install slurm-wlm with apt-get when absent. */
  install: boolean;
  timeoutMs: number;
}

export interface SlurmFigures {
  jobs: number;
  completed: number;
  failed: number;
  seconds: number;
  submitSeconds: number;
  /** CPU ms of slurmctld during the run. */
  controllerCpuMs: number;
  /** CPU ms of slurmd, its slurmstepds and the jobs (cgroup accounting), or undefined when no cgroup could be made. */
  nodeCpuMs: number | undefined;
  /** CPU ms of the sbatch processes (the client side). */
  clientCpuMs: number;
}

export type SlurmOutcome = { figures: SlurmFigures } | { skipped: string };

const run = (file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${(stderr || error.message).trim().split('\n').slice(-2).join(' | ')}`));
      else resolve(stdout);
    });
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, command)));
}

async function ensureInstalled(install: boolean): Promise<string | undefined> {
  const missing = () => ['slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'scontrol'].filter((c) => !onPath(c) && !existsSync(`/usr/sbin/${c}`));
  if (missing().length === 0) return undefined;
  if (!install) return `Slurm is not installed (${missing().join(', ')} not found): apt-get install slurm-wlm`;
  if (process.getuid?.() !== 0) return 'Slurm is not installed and this is not root, so apt-get cannot install slurm-wlm';
  console.log('installing slurm-wlm with apt-get (the Slurm comparison needs it; --no-slurm skips it) …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) => run('apt-get', args, env, 600_000);
  try {
    await apt(['install', '-y', '--no-install-recommends', 'slurm-wlm']);
  } catch {
    // The package lists may be missing or stale: refresh them once and try again.
    try {
      await apt(['update']);
      await apt(['install', '-y', '--no-install-recommends', 'slurm-wlm']);
    } catch (error) {
      return `apt-get could not install slurm-wlm: ${(error as Error).message}`;
    }
  }
  return missing().length === 0 ? undefined : `slurm-wlm installed but ${missing().join(', ')} still not found`;
}

/** A CPU-accounting cgroup (v1 cpuacct or v2 cpu.stat) that a daemon and everything it forks runs in, even after reparenting. */
class CpuGroup {
  readonly dir: string;
  private readonly v2: boolean;

  private constructor(dir: string, v2: boolean) {
    this.dir = dir;
    this.v2 = v2;
  }

  static make(name: string): CpuGroup | undefined {
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const dir = v2 ? `/sys/fs/cgroup/${name}` : `/sys/fs/cgroup/cpuacct/${name}`;
    try {
      mkdirSync(dir, { recursive: true });
      const group = new CpuGroup(dir, v2);
      group.cpuMs();
      return group;
    } catch {
      return undefined;
    }
  }

  cpuMs(): number {
    if (this.v2) return Number(/usage_usec (\d+)/.exec(readFileSync(path.join(this.dir, 'cpu.stat'), 'utf8'))?.[1]) / 1000;
    return Number(readFileSync(path.join(this.dir, 'cpuacct.usage'), 'utf8')) / 1e6;
  }

  async remove(): Promise<void> {
    // A step daemon may take a moment to leave after the daemons stop.
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(this.dir);
        return;
      } catch {
        await sleep(100);
      }
    }
  }
}

/** The error lines of a daemon log (without the PMIx noise every start prints), for a failure message. */
function logErrors(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n')
      .filter((l) => /error|fatal|drain|invalid/i.test(l) && !/pmix|state file|NOTE: Trying|MailProg/i.test(l))
      .slice(-3).map((l) => l.replace(/^\[[^\]]*\] /, '')).join(' | ') || 'no errors logged';
  } catch {
    return 'no log';
  }
}

function slurmConf(dir: string, ports: [number, number], slots: number): string {
  const user = userInfo().username;
  return [
    'ClusterName=corralbench', 'SlurmctldHost=localhost', `SlurmUser=${user}`, `SlurmdUser=${user}`,
    `SlurmctldPort=${ports[0]}`, `SlurmdPort=${ports[1]}`,
    'AuthType=auth/none', 'CredType=cred/none',
    `StateSaveLocation=${dir}/state`, `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`, `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/slurmctld.log`, `SlurmdLogFile=${dir}/slurmd.log`, 'SlurmctldDebug=info', 'SlurmdDebug=error',
    'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none',
    'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core', 'SlurmdParameters=config_overrides',
    'JobCompType=jobcomp/filetxt', `JobCompLoc=${dir}/jobcomp.txt`,
    'AccountingStorageType=accounting_storage/none', 'JobAcctGatherType=jobacct_gather/none',
    'MpiDefault=none', 'MailProg=/bin/true', 'ReturnToService=2', 'MaxJobCount=100000', 'MaxArraySize=100001', 'MinJobAge=2',
    `NodeName=localhost CPUs=${slots} State=UNKNOWN`,
    'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n');
}

/** Runs `options.jobs` × `/bin/true` through a fresh single-node Slurm; never throws, never hangs. */
export async function runSlurm(options: SlurmOptions): Promise<SlurmOutcome> {
  const notInstalled = await ensureInstalled(options.install);
  if (notInstalled) return { skipped: notInstalled };

  const dir = mkdtempSync(path.join(tmpdir(), 'corral-bench-slurm-'));
  for (const sub of ['state', 'spool']) mkdirSync(path.join(dir, sub));
  const conf = path.join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, [await freePort(), await freePort()], options.slots));
  const env = { ...process.env, SLURM_CONF: conf };
  const groups = { node: CpuGroup.make(`corral-bench-slurmd-${process.pid}`) };
  const daemons: ChildProcess[] = [];
  const start = (daemon: 'slurmctld' | 'slurmd', group: CpuGroup | undefined) => {
    // The shell joins the cgroup before it becomes the daemon, so every step daemon it forks is counted.
    const join = group ? `echo $$ > ${group.dir}/cgroup.procs && ` : '';
    const child = spawn('/bin/sh', ['-c', `${join}exec ${daemon} -D -f ${conf}`], { cwd: dir, env, stdio: ['ignore', 'ignore', 'ignore'] });
    process.once('exit', () => child.kill('SIGKILL'));
    daemons.push(child);
    return child;
  };
  const stopAll = async () => {
    for (const child of daemons) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      if (await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]) === false) child.kill('SIGKILL');
    }
    for (const group of Object.values(groups)) await group?.remove();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const ctld = start('slurmctld', undefined);
    start('slurmd', groups.node);

    // Wait (30 s) for the node to register idle; a node left DOWN or DRAINED is resumed once.
    let state = '';
    let resumed = false;
    const deadline = Date.now() + 30_000;
    while (state !== 'idle') {
      if (Date.now() > deadline) {
        return { skipped: `the Slurm node did not become idle within 30 s (sinfo says '${state || 'nothing'}'); slurmctld: ${logErrors(path.join(dir, 'slurmctld.log'))}; slurmd: ${logErrors(path.join(dir, 'slurmd.log'))}` };
      }
      if (daemons.some((d) => d.exitCode !== null)) {
        return { skipped: `a Slurm daemon exited at start; slurmctld: ${logErrors(path.join(dir, 'slurmctld.log'))}; slurmd: ${logErrors(path.join(dir, 'slurmd.log'))}` };
      }
      state = await run('sinfo', ['-h', '-n', 'localhost', '-o', '%T'], env, 5_000).then((s) => s.trim(), () => '');
      if (/down|drain|fail/.test(state) && !resumed) {
        resumed = true;
        await run('scontrol', ['update', 'nodename=localhost', 'state=resume'], env, 5_000).catch(() => undefined);
      }
      if (state !== 'idle') await sleep(200);
    }

    const jobcomp = path.join(dir, 'jobcomp.txt');
    const finished = (): { completed: number; failed: number } => {
      let text = '';
      try {
        text = readFileSync(jobcomp, 'utf8');
      } catch {
        // no job has finished yet
      }
      const lines = text.split('\n').filter(Boolean);
      const completed = lines.filter((l) => l.includes('JobState=COMPLETED')).length;
      return { completed, failed: lines.length - completed };
    };

    const ctldBefore = processCpuMs(ctld.pid!);
    const nodeBefore = groups.node?.cpuMs();
    const clientBefore = reapedChildrenCpuMs();
    const startedAt = performance.now();
    const sbatch = (extra: string[]) => run('sbatch', ['--parsable', '--output=/dev/null', '--wrap=/bin/true', ...extra], env, 30_000);
    if (options.submit === 'array') await sbatch([`--array=1-${options.jobs}`]);
    else await pool(options.jobs, options.concurrency, async () => { await sbatch([]); });
    const submitSeconds = (performance.now() - startedAt) / 1000;

    const waitDeadline = Date.now() + options.timeoutMs;
    let done = finished();
    while (done.completed + done.failed < options.jobs) {
      if (Date.now() > waitDeadline) {
        const pending = await run('squeue', ['-h', '-o', '%T %r'], env, 5_000).then((s) => s.trim().split('\n').slice(0, 3).join('; '), (e: Error) => e.message);
        return { skipped: `timed out after ${options.timeoutMs / 1000} s waiting for ${options.jobs} Slurm jobs to finish: ${done.completed} COMPLETED, ${done.failed} other; squeue: ${pending || 'empty'}; slurmd: ${logErrors(path.join(dir, 'slurmd.log'))}` };
      }
      await sleep(50);
      done = finished();
    }
    const seconds = (performance.now() - startedAt) / 1000;
    return {
      figures: {
        jobs: options.jobs, completed: done.completed, failed: done.failed, seconds, submitSeconds,
        controllerCpuMs: processCpuMs(ctld.pid!) - ctldBefore,
        nodeCpuMs: groups.node && nodeBefore !== undefined ? groups.node.cpuMs() - nodeBefore : undefined,
        clientCpuMs: reapedChildrenCpuMs() - clientBefore,
      },
    };
  } catch (error) {
    return { skipped: `the Slurm run failed: ${(error as Error).message}` };
  } finally {
    await stopAll();
  }
}
