/**
 * Leadership as a namespaced test sees it from outside, the way Drove's clients find the leader:
 * ping every controller; the leader answers `/apis/v1/ping` with 200, a follower with something
 * else (docs/api.md §1.6). Also the feature check that keeps the several-controller tests
 * skipped until this build of corral has leadership: `corral controller --help` lists
 * `--advertise-url`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetnsController } from './netns-nodes.ts';
import { waitFor } from './wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let leadershipFlag: boolean | undefined;

/** True when `corral controller` can run as one of several controllers (it takes `--advertise-url`). */
export function leadershipAvailable(): boolean {
  if (leadershipFlag === undefined) {
    const help = spawnSync(path.join(ROOT, 'node_modules/.bin/node'), [path.join(ROOT, 'bin/corral.js'), 'controller', '--help'], { encoding: 'utf8', timeout: 30_000 });
    leadershipFlag = `${help.stdout}${help.stderr}`.includes('--advertise-url');
  }
  return leadershipFlag;
}

/** The flags a controller of a several-controller cluster is started with. */
export function leadershipArgs(controllerUrl: string): string[] {
  return ['--advertise-url', controllerUrl];
}

/** Whether the controller answers ping with 200 right now (a cut-off or paused one does not answer at all). */
export async function answersAsLeader(controller: NetnsController): Promise<boolean> {
  try {
    const response = await fetch(`${controller.url}/apis/v1/ping`, {
      headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      signal: AbortSignal.timeout(2_000),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** The controllers that answer as leader now. */
export async function leadersAmong(controllers: NetnsController[]): Promise<NetnsController[]> {
  const answers = await Promise.all(controllers.map((c) => answersAsLeader(c)));
  return controllers.filter((_, i) => answers[i]);
}

/** Waits until exactly one of `controllers` answers as leader, and returns it. */
export async function waitForSingleLeader(controllers: NetnsController[], timeoutMs = 30_000): Promise<NetnsController> {
  let last: string[] = [];
  return waitFor(async () => {
    const leaders = await leadersAmong(controllers);
    last = leaders.map((l) => l.host.label);
    return leaders.length === 1 ? leaders[0] : undefined;
  }, { timeoutMs, intervalMs: 200, message: `exactly one leader among ${controllers.map((c) => c.host.label).join(', ')}` })
    .catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; answering as leader: [${last.join(', ')}]`, { cause: error });
    });
}
