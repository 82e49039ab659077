/**
 * Throwaway PostgreSQL schemas for store tests: each `url()` names a new schema (created by
 * the store on open), `empty()` empties one for the next test, and `dropAll()` removes
 * every one of them. PostgreSQL must be running at 127.0.0.1:5432 with trust auth
 * (as `.ci/run` makes sure of).
 */
import pg from 'pg';

export const PG_BASE_URL = process.env.CORRAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export class PostgresSchemas {
  private readonly prefix: string;
  private readonly names: string[] = [];

  /** `label` keeps names readable in psql; the pid and time keep parallel runs apart. */
  constructor(label: string) {
    this.prefix = `t_${label}_${process.pid}_${Date.now().toString(36)}`;
  }

  /**
   * A store URL for a new, not-yet-existing schema. Commits do not wait for the WAL flush
   * (`synchronous_commit=off`): nothing a test observes changes, and CI machines shared by
   * several suites spend most PostgreSQL time in fsync otherwise.
   */
  url(): string {
    const name = `${this.prefix}_${this.names.length}`;
    this.names.push(name);
    return `${PG_BASE_URL}?schema=${name}&options=${encodeURIComponent('-c synchronous_commit=off')}`;
  }

  /** The schema name behind the `index`-th URL. */
  name(index: number): string {
    return this.names[index];
  }

  /** Whether a schema of this run exists, and which tables it has. */
  async tables(schemaIndex: number): Promise<string[]> {
    return this.withClient(async (client) => {
      const result = await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [this.names[schemaIndex]],
      );
      return result.rows.map((row) => row.table_name);
    });
  }

  /** Empties every store table of a schema (migration records kept), for reuse by the next test. */
  async empty(schemaIndex: number): Promise<void> {
    const name = this.names[schemaIndex];
    const tables = (await this.tables(schemaIndex)).filter((table) => !table.startsWith('corral_migration'));
    if (tables.length === 0) return;
    // DELETE, not TRUNCATE: on tables this small it skips TRUNCATE's new files and their fsyncs.
    await this.withClient((client) => client.query(tables.map((table) => `DELETE FROM ${name}.${table};`).join(' ')));
  }

  /** Runs one statement outside any store (to set up states the store would never write). */
  async exec(text: string, values: unknown[] = []): Promise<void> {
    await this.withClient((client) => client.query(text, values));
  }

  /** Runs one statement outside any store and returns its rows. */
  async query<T extends object>(text: string, values: unknown[] = []): Promise<T[]> {
    return this.withClient(async (client) => (await client.query(text, values)).rows as T[]);
  }

  async dropAll(): Promise<void> {
    if (this.names.length === 0) return;
    await this.withClient(async (client) => {
      for (const name of this.names) await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    });
  }

  private async withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: PG_BASE_URL });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
}
