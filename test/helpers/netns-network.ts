/**
 * Simulated hosts on one machine: a Linux bridge in the root network namespace with a private
 * /24 picked at random per run, and one network namespace per host joined to it by a veth pair.
 * The test process itself sits on the bridge (its address `gateway`, `.1`), so it reaches every
 * host's ports directly, and so does anything it runs in the root namespace (the test's own
 * PostgreSQL listens there, netns-postgres.ts).
 *
 *   root namespace:  bridge cb<tag>  10.X.Y.1/24 ── veth cv<tag>h2 ══ eth0 10.X.Y.2  (ns corral-<tag>-ctl)
 *                                                └─ veth cv<tag>h3 ══ eth0 10.X.Y.3  (ns corral-<tag>-ex1) …
 *
 * Cutting a host off sets the root end of its veth down: the host keeps its address and its
 * processes keep running, but no frame leaves or reaches it — TCP connections are not reset,
 * they go silent, as on a real partition. `block(a, b)` cuts only the path between two hosts
 * (blackhole routes on both ends), without iptables.
 *
 * Names carry a run tag (this process's pid in base 36 and a counter), so a later run can tell a
 * leftover of a crashed run from a live one (netns-cleanup.ts). Interface names stay within the
 * kernel's 15 characters.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

export interface NetnsHost {
  /** Short label given by the test (`ctl1`, `ex2`). */
  label: string;
  /** The network namespace (`ip netns exec <namespace> …`). */
  namespace: string;
  /** Its address on the bridge. */
  address: string;
  /** Root-namespace end of its veth pair (set down to cut the host off). */
  veth: string;
}

/** Runs `ip …` (or another command) and returns its stdout; a failure names the command and its stderr. */
export function run(command: string, args: string[], options: { allowFailure?: boolean } = {}): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if (options.allowFailure) return '';
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || (error as Error).message}`, { cause: error });
  }
}

let runs = 0;

/** `<pid in base 36, 5 characters><run counter in base 36>`: unique per live process and run. */
export function newRunTag(): string {
  return `${process.pid.toString(36).padStart(5, '0')}${(runs++).toString(36)}`;
}

/** The pid of the process that made a run tag (see `newRunTag`). */
export function pidOfRunTag(tag: string): number {
  return Number.parseInt(tag.slice(0, 5), 36);
}

export const NAMESPACE_PREFIX = 'corral-';
export const BRIDGE_PREFIX = 'cb';
export const VETH_PREFIX = 'cv';

/** A 10.X.Y.0/24 that no address or route of this machine uses (the first three octets). */
function pickFreeSubnet(): string {
  const taken = run('ip', ['-4', '-o', 'addr', 'show']) + run('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (let attempt = 0; attempt < 50; attempt++) {
    const prefix = `10.${1 + Math.floor(Math.random() * 254)}.${Math.floor(Math.random() * 256)}`;
    if (!taken.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.X.Y.0/24 subnet found for the test network');
}

export class NetnsNetwork {
  readonly tag: string;
  readonly bridge: string;
  /** First three octets, e.g. `10.23.45`. */
  readonly prefix: string;
  /** The bridge's own address: where the test process and its PostgreSQL are reached. */
  readonly gateway: string;
  readonly hosts: NetnsHost[] = [];
  /** Addresses are never reused within a run (a removed host's peers may still hold its connections). */
  private nextIndex = 2;
  private destroyed = false;

  private constructor(tag: string, prefix: string) {
    this.tag = tag;
    this.prefix = prefix;
    this.bridge = `${BRIDGE_PREFIX}${tag}`;
    this.gateway = `${prefix}.1`;
  }

  /** Creates the bridge with a fresh random subnet. */
  static create(): NetnsNetwork {
    const network = new NetnsNetwork(newRunTag(), pickFreeSubnet());
    run('ip', ['link', 'add', network.bridge, 'type', 'bridge']);
    try {
      run('ip', ['addr', 'add', `${network.gateway}/24`, 'dev', network.bridge]);
      run('ip', ['link', 'set', network.bridge, 'up']);
    } catch (error) {
      network.destroy();
      throw error;
    }
    return network;
  }

  /** `10.X.Y.0/24`. */
  get subnet(): string {
    return `${this.prefix}.0/24`;
  }

  /** A new host: its namespace, its veth on the bridge, its address (`.2`, `.3`, …), `lo` up. */
  addHost(label: string): NetnsHost {
    if (!/^[a-z0-9]{1,12}$/.test(label)) throw new Error(`host label "${label}": 1-12 lower-case letters or digits`);
    if (this.hosts.some((h) => h.label === label)) throw new Error(`host label "${label}" is taken`);
    const index = this.nextIndex++;
    if (index > 254) throw new Error('a /24 holds at most 253 hosts per run');
    const host: NetnsHost = {
      label,
      namespace: `${NAMESPACE_PREFIX}${this.tag}-${label}`,
      address: `${this.prefix}.${index}`,
      veth: `${VETH_PREFIX}${this.tag}h${index}`,
    };
    this.hosts.push(host);
    run('ip', ['netns', 'add', host.namespace]);
    run('ip', ['link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.namespace]);
    run('ip', ['link', 'set', host.veth, 'master', this.bridge, 'up']);
    run('ip', ['-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    run('ip', ['-n', host.namespace, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', host.namespace, 'link', 'set', 'lo', 'up']);
    return host;
  }

  host(label: string): NetnsHost {
    const host = this.hosts.find((h) => h.label === label);
    if (!host) throw new Error(`no host "${label}" (hosts: ${this.hosts.map((h) => h.label).join(', ')})`);
    return host;
  }

  /** Link down: the host reaches nothing and nothing reaches it, until `reconnect`. */
  cutOff(host: NetnsHost): void {
    run('ip', ['link', 'set', host.veth, 'down']);
  }

  reconnect(host: NetnsHost): void {
    run('ip', ['link', 'set', host.veth, 'up']);
  }

  /** Whether the host's link is up (not cut off). */
  isConnected(host: NetnsHost): boolean {
    return /state UP|,UP[,>]/.test(run('ip', ['-o', 'link', 'show', host.veth]));
  }

  /**
   * Cuts only the path between `host` and `other` (another host, or an address such as the
   * gateway, where PostgreSQL and the test process live): blackhole routes on each end that is a
   * namespace of ours. Packets are dropped silently, as on a link that went dark.
   */
  block(host: NetnsHost, other: NetnsHost | string): void {
    for (const [from, to] of this.ends(host, other)) run('ip', ['-n', from, 'route', 'replace', 'blackhole', `${to}/32`]);
  }

  unblock(host: NetnsHost, other: NetnsHost | string): void {
    for (const [from, to] of this.ends(host, other)) run('ip', ['-n', from, 'route', 'del', 'blackhole', `${to}/32`], { allowFailure: true });
  }

  /** Processes running in the host's network namespace (whatever started them). */
  pids(host: NetnsHost): number[] {
    return run('ip', ['netns', 'pids', host.namespace], { allowFailure: true }).split('\n').filter(Boolean).map(Number);
  }

  /** True when `pid` runs on this host (its network namespace is the host's). */
  runsOn(pid: number, host: NetnsHost): boolean {
    const inode = namespaceInode(pid);
    return inode !== undefined && inode === statSync(`/run/netns/${host.namespace}`).ino;
  }

  /** SIGKILLs what runs on the host and deletes its namespace and veth. */
  removeHost(host: NetnsHost): void {
    for (const pid of this.pids(host)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Deleting the namespace removes both ends of its veth pair (the del is for a half-made host).
    run('ip', ['netns', 'del', host.namespace], { allowFailure: true });
    run('ip', ['link', 'del', host.veth], { allowFailure: true });
    this.hosts.splice(this.hosts.indexOf(host), 1);
  }

  /** Deletes every host (SIGKILLing what still runs on it) and the bridge. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const host of [...this.hosts]) this.removeHost(host);
    run('ip', ['link', 'del', this.bridge], { allowFailure: true });
  }

  private ends(host: NetnsHost, other: NetnsHost | string): [string, string][] {
    if (typeof other === 'string') return [[host.namespace, other]];
    return [[host.namespace, other.address], [other.namespace, host.address]];
  }
}

/** The inode of a process's network namespace (`/proc/PID/ns/net` → `net:[INODE]`). */
function namespaceInode(pid: number): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/net`).ino;
  } catch {
    return undefined;
  }
}
