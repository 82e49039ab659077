/**
 * The store's hot statements, compiled once per dialect and shape and then only re-bound.
 *
 * Building a Kysely query (operation-node tree, frozen objects, an expression builder) and
 * compiling it to SQL costs more than SQLite takes to run a small write, and a task's life runs
 * about eight such statements whose SQL never changes — only their values do. A template here
 * builds its query once per dialect and shape with a placeholder in every value's place, keeps
 * the compiled SQL, and records which value each parameter position takes, so a run is an array
 * of parameters and `executeQuery`:
 *
 *   run(db, shape, values) ─▶ cache[dialect][shape]? ─no─▶ build(db, shape, slot) ─▶ compile ─▶ map params to slots
 *                                      │ yes                                                         │
 *                                      ▼                                                             ▼
 *                  parameters[i] = values[slot of i] ─▶ db.executeQuery({ sql, parameters }) ◀──────┘
 *
 * The SQL is exactly what Kysely compiles for the same query, so both engines see what they saw
 * before, and SQLite's prepared-statement cache (sqlite-database.ts) is hit by the very same
 * string every time. A shape is whatever changes the SQL text (the row count of a multi-row
 * statement); callers keep shapes few (`chunks` in store-rows.ts).
 */
import { CompiledQuery, type Compilable, type DialectAdapter, type Kysely, type QueryResult } from 'kysely';
import type { StoreDatabase } from './store-tables.ts';

type Db = Kysely<StoreDatabase>;

interface Compiled {
  sql: string;
  /** Per parameter position: the index into `values`, or -1 for a constant of the query itself. */
  slots: Int32Array;
  constants: ReadonlyArray<unknown>;
}

/** A placeholder no stored value can equal: marks where value `i` goes while the query is compiled. */
const PLACEHOLDER_PREFIX = '\u0000corral-slot:';

export class StatementTemplate {
  private readonly build: (db: Db, shape: number, slot: (index: number) => string) => Compilable<unknown>;
  /** Per dialect (the adapter is shared by a Kysely instance and its transactions), per shape. */
  private readonly compiled = new WeakMap<DialectAdapter, Map<number, Compiled>>();

  /**
   * `build(db, shape, slot)` builds the query for `shape`, with `slot(i)` wherever the `i`-th
   * value of a run goes; it is called once per dialect and shape.
   */
  constructor(build: (db: Db, shape: number, slot: (index: number) => string) => Compilable<unknown>) {
    this.build = build;
  }

  /** Runs the statement of `shape` with `values` (in slot order). */
  run(db: Db, shape: number, values: ReadonlyArray<unknown>): Promise<QueryResult<unknown>> {
    const { sql, slots, constants } = this.compile(db, shape);
    const parameters = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      parameters[i] = slot < 0 ? constants[i] : values[slot];
    }
    return db.executeQuery(CompiledQuery.raw(sql, parameters));
  }

  /** The compiled SQL of `shape` on `db`'s dialect (tests compare it with Kysely's own). */
  sql(db: Db, shape: number): string {
    return this.compile(db, shape).sql;
  }

  private compile(db: Db, shape: number): Compiled {
    const executor = db.getExecutor();
    // A plugin (withSchema, …) rewrites queries, so their SQL is not the dialect's alone:
    // compiled afresh each time rather than cached under the dialect.
    if (executor.plugins.length > 0) return this.compileNow(db, shape);
    let shapes = this.compiled.get(executor.adapter);
    if (!shapes) this.compiled.set(executor.adapter, (shapes = new Map()));
    let compiled = shapes.get(shape);
    if (!compiled) shapes.set(shape, (compiled = this.compileNow(db, shape)));
    return compiled;
  }

  private compileNow(db: Db, shape: number): Compiled {
    const query = this.build(db, shape, (index) => PLACEHOLDER_PREFIX + index).compile();
    const slots = new Int32Array(query.parameters.length);
    query.parameters.forEach((parameter, i) => {
      slots[i] = typeof parameter === 'string' && parameter.startsWith(PLACEHOLDER_PREFIX)
        ? Number(parameter.slice(PLACEHOLDER_PREFIX.length))
        : -1;
    });
    return { sql: query.sql, slots, constants: query.parameters };
  }
}

/**
 * A multi-row statement over `columns`: `build(db, rows)` gets placeholder rows to pass to
 * `.values(…)`, and a run takes the real rows (the shape is their count).
 */
export class RowsStatement<Row extends object> {
  private readonly columns: ReadonlyArray<keyof Row & string>;
  private readonly template: StatementTemplate;

  constructor(columns: ReadonlyArray<keyof Row & string>, build: (db: Db, rows: Row[]) => Compilable<unknown>) {
    this.columns = columns;
    this.template = new StatementTemplate((db, count, slot) => {
      const rows = new Array<Row>(count);
      for (let r = 0; r < count; r++) {
        const row: Record<string, unknown> = {};
        columns.forEach((column, c) => { row[column] = slot(r * columns.length + c); });
        rows[r] = row as Row;
      }
      return build(db, rows);
    });
  }

  run(db: Db, rows: ReadonlyArray<Row>): Promise<QueryResult<unknown>> {
    const width = this.columns.length;
    const values = new Array<unknown>(rows.length * width);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as Record<string, unknown>;
      for (let c = 0; c < width; c++) values[r * width + c] = row[this.columns[c]];
    }
    return this.template.run(db, rows.length, values);
  }

  sql(db: Db, count: number): string {
    return this.template.sql(db, count);
  }
}
