/**
 * Who wrote what to a store schema, as PostgreSQL saw it: a trigger on every store table
 * records each row change with the client address it came from (`inet_client_addr()`, the
 * host's address on the test bridge) and PostgreSQL's clock. Triggers run inside the writing
 * transaction, so a transaction that fails or is rolled back (a fenced write of a stale leader)
 * leaves no audit row: the audit holds exactly the committed writes. That is how a test proves
 * a host wrote nothing after some moment.
 *
 *   const audit = await WriteAudit.install(cluster.postgres, store.schema);   // after the schema was migrated
 *   const late = await audit.writes({ from: oldLeader.host.address, since: cutAt });
 *   expect(late).toEqual([]);
 */
import type { TestPostgres } from './netns-postgres.ts';

/** The store's tables (src/controller/store/store-tables.ts); the lease table is added when present. */
const STORE_TABLES = ['cluster_state', 'executors', 'events', 'tasks', 'apps', 'instances', 'operations'];

export interface AuditedWrite {
  at: Date;
  client: string;
  table: string;
  operation: string;
}

export class WriteAudit {
  private readonly postgres: TestPostgres;
  private readonly schema: string;

  private constructor(postgres: TestPostgres, schema: string) {
    this.postgres = postgres;
    this.schema = schema;
  }

  /**
   * Installs the audit on `tables` of `schema` (default: every store table that exists there,
   * so call it once the controller has created them).
   */
  static async install(postgres: TestPostgres, schema: string, tables?: string[]): Promise<WriteAudit> {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`schema "${schema}": not a plain identifier`);
    const existing = (await postgres.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'", [schema],
    )).map((r) => r.table_name);
    const audited = (tables ?? existing.filter((t) => STORE_TABLES.includes(t) || /lease|leader/.test(t)));
    const missing = audited.filter((t) => !existing.includes(t));
    if (missing.length > 0) throw new Error(`cannot audit ${missing.join(', ')}: not in schema ${schema} (tables: ${existing.join(', ')})`);
    const statements = [
      `CREATE TABLE IF NOT EXISTS ${schema}.netns_write_audit (
         at timestamptz NOT NULL DEFAULT clock_timestamp(), client text, tbl text NOT NULL, op text NOT NULL)`,
      `CREATE OR REPLACE FUNCTION ${schema}.netns_write_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO ${schema}.netns_write_audit (client, tbl, op) VALUES (host(inet_client_addr()), TG_TABLE_NAME, TG_OP);
         RETURN NULL;
       END $$`,
      ...audited.map((table) => `CREATE OR REPLACE TRIGGER netns_write_audit AFTER INSERT OR UPDATE OR DELETE ON ${schema}.${table}
         FOR EACH ROW EXECUTE FUNCTION ${schema}.netns_write_audit_row()`),
    ];
    for (const statement of statements) await postgres.query(statement);
    return new WriteAudit(postgres, schema);
  }

  /** Committed writes, optionally only those from one client address and at or after a moment. */
  async writes(filter: { from?: string; since?: Date | number } = {}): Promise<AuditedWrite[]> {
    const since = filter.since === undefined ? new Date(0) : new Date(filter.since);
    const rows = await this.postgres.query<{ at: Date; client: string; tbl: string; op: string }>(
      `SELECT at, client, tbl, op FROM ${this.schema}.netns_write_audit WHERE at >= $1 AND ($2::text IS NULL OR client = $2) ORDER BY at`,
      [since, filter.from ?? null],
    );
    return rows.map((r) => ({ at: r.at, client: r.client, table: r.tbl, operation: r.op }));
  }

  /** The client addresses that wrote anything. */
  async writers(): Promise<string[]> {
    const rows = await this.postgres.query<{ client: string }>(`SELECT DISTINCT client FROM ${this.schema}.netns_write_audit ORDER BY client`);
    return rows.map((r) => r.client);
  }
}
