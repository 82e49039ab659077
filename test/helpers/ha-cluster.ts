/**
 * Several real `corral controller` processes on one PostgreSQL schema (docs/ha.md), and real
 * executors given every controller URL.
 *
 *   const ha = await startHaCluster({ controllers: 3 });
 *   const leader = await ha.leader();                 // the one answering ping 200
 *   await ha.installWriteAudit();                      // every row written, and by which controller
 *   const exec = await ha.addExecutor();               // registered with the leader
 *   afterAll(() => ha.close());
 *
 * Each controller connects with its own PostgreSQL `application_name` (`ha_ctl_<i>`), so a
 * trigger-based audit table (installWriteAudit) shows which process wrote each row and when by
 * the database's clock: the evidence that a deposed leader wrote nothing.
 */
import type { ControllerConfig } from '../../src/controller/config.ts';
import { PostgresSchemas } from '../store/postgres-schemas.ts';
import { api, basicAuth } from './api-client.ts';
import { freePort } from './free-port.ts';
import { startTestController, type TestController } from './test-controller.ts';
import { startTestExecutor, type TestExecutor, type TestExecutorOptions } from './test-executor.ts';
import { waitFor } from './wait-for.ts';

/** The tables holding records (the lease and membership tables are not audited). */
const AUDITED = ['cluster_state', 'executors', 'events', 'tasks', 'apps', 'instances', 'operations', 'store_probe'];

export interface AuditRow {
  app: string;
  tbl: string;
  op: string;
  /** Database-clock epoch milliseconds. */
  at: number;
}

export interface HaCluster {
  controllers: TestController[];
  executors: TestExecutor[];
  /** Every controller URL, comma-separated (what executors and the CLI are given). */
  endpoints(): string;
  /** The controller that answers ping 200, once exactly one does (waits up to `timeoutMs`). */
  leader(timeoutMs?: number): Promise<TestController>;
  /** Waits until one controller leads and every other one answers as a follower (all started). */
  settled(timeoutMs?: number): Promise<TestController>;
  /** HTTP status of ping on each controller (0: unreachable), in order. */
  pings(): Promise<number[]>;
  /** Every controller's captured output, for failure messages. */
  outputs(): string;
  /** Starts controller `index` again (after a kill) with its port and store. */
  restart(index: number): Promise<TestController>;
  addExecutor(options?: TestExecutorOptions): Promise<TestExecutor>;
  /** Records every row written to the record tables from now on (by application_name). */
  installWriteAudit(): Promise<void>;
  writes(sinceMs?: number): Promise<AuditRow[]>;
  /** The database clock now (epoch ms). */
  dbNow(): Promise<number>;
  /** `application_name` of controller `index`. */
  appName(index: number): string;
  schema: PostgresSchemas;
  close(): Promise<void>;
}

export interface HaClusterOptions {
  controllers?: number;
  config?: Partial<ControllerConfig>;
  logLevel?: string;
}

export async function startHaCluster(options: HaClusterOptions = {}): Promise<HaCluster> {
  const schema = new PostgresSchemas('ha');
  const storeUrl = schema.url();
  const schemaName = schema.name(0);
  const count = options.controllers ?? 3;
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const appName = (i: number) => `ha_ctl_${i}`;
  const configOf = (i: number): Partial<ControllerConfig> => ({
    port: ports[i],
    store: `${storeUrl}&application_name=${appName(i)}`,
    advertiseUrl: `http://127.0.0.1:${ports[i]}`,
    storeDurability: 'FULL',
    executorLostAfterMs: 15_000,
    snapshotIntervalMs: 1_000,
    // Longer than the 3 s default: a loaded test machine stalls processes for a second or more,
    // and a leader that cannot renew in time steps down (correctly, but not what a test wants).
    leaderLeaseMs: 6_000,
    ...options.config,
  });
  const start = (i: number) => startTestController({ mode: 'child', config: configOf(i), logLevel: options.logLevel ?? 'warn', startTimeoutMs: 60_000 });
  const controllers: TestController[] = [];
  // The first one migrates the schema alone; the others join it.
  controllers.push(await start(0));
  controllers.push(...await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 1))));
  const executors: TestExecutor[] = [];

  // With a time limit: a paused (SIGSTOP) controller accepts connections and never answers.
  const pings = () => Promise.all(controllers.map(async (c) => {
    try {
      return (await fetch(`${c.url}/apis/v1/ping`, { headers: { authorization: basicAuth({ user: 'admin', password: 'admin' }) }, signal: AbortSignal.timeout(1_500) })).status;
    } catch {
      return 0;
    }
  }));
  const endpoints = () => controllers.map((c) => c.url).join(',');

  const cluster: HaCluster = {
    controllers,
    executors,
    schema,
    endpoints,
    pings,
    appName,
    async leader(timeoutMs = 30_000) {
      const index = await waitFor(async () => {
        const statuses = await pings();
        const leaders = statuses.flatMap((status, i) => (status === 200 ? [i] : []));
        if (leaders.length !== 1) throw new Error(`ping statuses ${statuses.join(', ')}`);
        return leaders[0] + 1;
      }, { timeoutMs, intervalMs: 50, message: 'exactly one controller answering ping 200' });
      return controllers[index - 1];
    },
    async settled(timeoutMs = 60_000) {
      await waitFor(async () => {
        const statuses = await pings();
        if (statuses.filter((s) => s === 200).length !== 1 || statuses.filter((s) => s === 400).length !== statuses.length - 1) {
          throw new Error(`ping statuses ${statuses.join(', ')}`);
        }
        return true;
      }, { timeoutMs, intervalMs: 100, message: 'one leader and every other controller a follower' });
      return cluster.leader();
    },
    async restart(index) {
      controllers[index] = await start(index);
      return controllers[index];
    },
    outputs() {
      return controllers.map((c, i) => `--- controller ${i} (${c.url}) ---\n${c.output()}`).join('\n');
    },
    async addExecutor(executorOptions = {}) {
      const executor = await startTestExecutor(endpoints(), {
        secret: controllers[0].config.clusterSecret, cores: 4, memoryMb: 4096, waitRegistered: false, ...executorOptions,
      });
      executors.push(executor);
      await waitFor(async () => {
        const leader = await cluster.leader();
        const { body } = await api(leader.url).get(`/apis/v1/cluster/executors/${executor.executorId}`);
        return body?.status === 'SUCCESS' && body.data.connected !== false;
      }, { timeoutMs: 30_000, intervalMs: 100, message: `executor ${executor.executorId} to register with the leader` });
      return executor;
    },
    async installWriteAudit() {
      const statements = [
        `CREATE TABLE IF NOT EXISTS ${schemaName}.write_audit (app text NOT NULL, tbl text NOT NULL, op text NOT NULL, at bigint NOT NULL DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint)`,
        `CREATE OR REPLACE FUNCTION ${schemaName}.audit_write() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN INSERT INTO ${schemaName}.write_audit (app, tbl, op) VALUES (current_setting('application_name'), TG_TABLE_NAME, TG_OP); RETURN NULL; END $$`,
        ...AUDITED.map((table) => `CREATE OR REPLACE TRIGGER audit_${table} AFTER INSERT OR UPDATE OR DELETE ON ${schemaName}.${table} FOR EACH ROW EXECUTE FUNCTION ${schemaName}.audit_write()`),
      ];
      for (const statement of statements) await schema.exec(statement);
    },
    async writes(sinceMs = 0) {
      const rows = await schema.query<{ app: string; tbl: string; op: string; at: string }>(`SELECT app, tbl, op, at FROM ${schemaName}.write_audit WHERE at >= $1 ORDER BY at`, [sinceMs]);
      return rows.map((row) => ({ ...row, at: Number(row.at) }));
    },
    async dbNow() {
      const rows = await schema.query<{ now: string }>('SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now');
      return Number(rows[0].now);
    },
    async close() {
      await Promise.allSettled(executors.map((e) => e.stop()));
      await Promise.allSettled(controllers.map((c) => c.stop()));
      await schema.dropAll();
    },
  };
  return cluster;
}
