/**
 * The test's own PostgreSQL instance: the machine's server binaries (`/usr/lib/postgresql/<v>/bin`),
 * `initdb` + `pg_ctl` in a temp dir, listening on one address (the test network's bridge) on a
 * free port, trust auth for that subnet. Never the machine's shared server: this one can be
 * stopped, crashed and restarted by the test.
 *
 *   const pg = await startTestPostgres({ listen: network.gateway, allow: network.subnet });
 *   const { url, schema } = pg.newStore('web');   // a fresh schema per cluster
 *   await pg.restart('immediate');      // a crash and recovery, as a test of riding it out
 *   await pg.destroy();
 *
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (the temp dir is
 * theirs). fsync is off: the instance only has to survive its own crash (the OS keeps the
 * written WAL), not the machine's; commits still wait for the WAL write, so what was
 * acknowledged survives `restart('immediate')`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';
import { run } from './netns-network.ts';

const execFileAsync = promisify(execFile);

export const PG_DIR_PREFIX = 'corral-netns-pg-';

/** The newest `/usr/lib/postgresql/<version>/bin` that has initdb and pg_ctl, if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = path.join(root, version, 'bin');
    if (existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

export interface TestPostgresOptions {
  /** Address to listen on (the bridge's). */
  listen: string;
  /** CIDR allowed in with trust auth (the test subnet). */
  allow: string;
  /** Run tag for the temp dir name (netns-cleanup.ts finds leftovers by it). */
  tag: string;
}

export class TestPostgres {
  readonly address: string;
  readonly port: number;
  readonly dir: string;
  private readonly bin: string;
  private readonly asUser: string[];
  private schemas = 0;
  private destroyed = false;

  private constructor(bin: string, dir: string, address: string, port: number, asUser: string[]) {
    this.bin = bin;
    this.dir = dir;
    this.address = address;
    this.port = port;
    this.asUser = asUser;
  }

  static async start(options: TestPostgresOptions): Promise<TestPostgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
    const dir = mkdtempSync(path.join(tmpdir(), `${PG_DIR_PREFIX}${options.tag}-`));
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const uid = Number(run('id', ['-u', 'postgres']).trim());
      const gid = Number(run('id', ['-g', 'postgres']).trim());
      chownSync(dir, uid, gid);
    }
    const instance = new TestPostgres(bin, dir, options.listen, await freePort(), asRoot ? ['runuser', '-u', 'postgres', '--'] : []);
    try {
      await instance.pg('initdb', ['-D', instance.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
      // initdb's trust covers local sockets and loopback; the hosts come over the bridge.
      appendFileSync(path.join(instance.dataDir, 'pg_hba.conf'), `host all all ${options.allow} trust\n`);
      await instance.start();
    } catch (error) {
      instance.destroy();
      throw error;
    }
    return instance;
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** `postgres://postgres@ADDRESS:PORT/postgres`. */
  get url(): string {
    return `postgres://postgres@${this.address}:${this.port}/postgres`;
  }

  /** A store on a schema no one used yet (the controller creates it): its URL and the schema's name. */
  newStore(label = 'store'): { url: string; schema: string } {
    const schema = `${label}_${this.schemas++}`;
    return { url: `${this.url}?schema=${schema}`, schema };
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    await this.pg('pg_ctl', [
      '-D', this.dataDir, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '60',
      '-o', `-p ${this.port} -h ${this.address} -k ${this.dir} -c fsync=off -c full_page_writes=off -c max_connections=200`,
      'start',
    ]);
  }

  /**
   * Stops the server: `fast` (clients disconnected, clean shutdown) or `immediate` (no shutdown
   * checkpoint: the next start recovers from the WAL, as after a crash).
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  async restart(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.stop(mode);
    await this.start();
  }

  /** Whether the server runs (its postmaster.pid is there). */
  get running(): boolean {
    return existsSync(path.join(this.dataDir, 'postmaster.pid'));
  }

  /** One query on a short-lived connection (checks from the test, outside any controller). */
  async query<Row extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<Row[]> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query<Row>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** The server log (for failure messages). */
  log(): string {
    try {
      return readFileSync(path.join(this.dir, 'server.log'), 'utf8').slice(-8_000);
    } catch {
      return '';
    }
  }

  /** Stops the server at once and deletes its directory. Idempotent, synchronous (exit hooks). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    stopPostgresDir(this.dataDir);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs a server tool without blocking the event loop (load keeps flowing while it runs). */
  private async pg(tool: string, args: string[]): Promise<string> {
    const [command, ...rest] = [...this.asUser, path.join(this.bin, tool), ...args];
    try {
      return (await execFileAsync(command, rest, { encoding: 'utf8' })).stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`${tool} ${args.join(' ')} failed: ${stderr.trim() || (error as Error).message}\n${this.log()}`, { cause: error });
    }
  }
}

/** `pg_ctl stop -m immediate` on a data dir whose server may or may not run (leftovers too). */
export function stopPostgresDir(dataDir: string): void {
  const bin = postgresBinDir();
  if (!bin || !existsSync(path.join(dataDir, 'postmaster.pid'))) return;
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const command = [...asUser, path.join(bin, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop'];
  try {
    execFileSync(command[0], command.slice(1), { stdio: 'ignore' });
  } catch {
    // not running after all
  }
}
