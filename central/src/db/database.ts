import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { packageDir } from '@stocksync/shared/service';
import { type ExtractTablesWithRelations, type SQL, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { releaseClientsOfFailedTransactions } from './drizzle-transaction-release';
import { type Schema, schema } from './schema';

releaseClientsOfFailedTransactions();

/** The one database type repositories see: drizzle's common PostgreSQL database, whatever the driver. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type DatabaseDriver = 'postgres' | 'pglite';

export type DatabaseHandle = { db: Database; driver: DatabaseDriver; close: () => Promise<void> };

export type DatabaseOptions = {
  /** PostgreSQL via `pg`; without it an embedded PGlite persisted under `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  poolSize?: number;
  /** Longest wait for a connection: a free pooled client, or a new one to connect. None when unset. */
  connectTimeoutMs?: number;
  /** Longest wait for one statement's answer before it fails (and its connection is dropped). None when unset. */
  queryTimeoutMs?: number;
  onPoolError?: (error: Error) => void;
};

export const MIGRATIONS_FOLDER = join(packageDir(import.meta.url), 'drizzle');
/** Arbitrary constant: serializes migrations when several central replicas start at once. */
const MIGRATION_LOCK_KEY = 0x5707c5;

async function migratePostgres(connectionString: string, connectTimeoutMs: number | undefined): Promise<void> {
  // No statement timeout: a migration may take long, and the advisory lock waits for another replica's.
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: connectTimeoutMs });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migratePg(drizzlePg({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

/** Opens the database and applies the committed drizzle-kit migrations. */
export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  if (opts.databaseUrl) {
    await migratePostgres(opts.databaseUrl, opts.connectTimeoutMs);
    // A server that hangs (stopped, network black hole) rather than dies never closes the socket: without
    // these every request and the apply consumer would wait on it for as long as TCP keeps trying.
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs,
      query_timeout: opts.queryTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // An idle client dying (PostgreSQL restart) must not crash the process; the next query reconnects.
    pool.on('error', (error) => opts.onPoolError?.(error));
    // pg-pool listens for a client's 'error' only while it is idle. A server that dies while a client
    // is checked out between two statements of a transaction emits it on the client itself, and with
    // no listener that is an uncaught exception: every replica crashed at once. The transaction's next
    // statement fails on its own ("not queryable", a 503), and release() drops the broken client.
    pool.on('connect', (client) => client.on('error', () => undefined));
    pool.on('release', (_error, client) => dropIfStillBusy(client));
    const db: Database = drizzlePg({ client: pool, schema });
    return { db, driver: 'postgres', close: () => pool.end() };
  }
  await mkdir(opts.dataDir, { recursive: true });
  const client = await PGlite.create(join(opts.dataDir, 'pglite'));
  const pgliteDb = drizzlePglite({ client, schema });
  await migratePglite(pgliteDb, { migrationsFolder: MIGRATIONS_FOLDER });
  const db: Database = pgliteDb;
  return { db, driver: 'pglite', close: () => client.close() };
}

/**
 * pg fails a statement at its query_timeout but leaves it running on the connection, and the ROLLBACK
 * queued behind it times out unsent. Returned to the pool, that connection would finish the statement
 * later, stay in its transaction, and the next borrower's COMMIT would commit the abandoned write too
 * (a request answered 503 applied after all). A connection released with a statement still in flight
 * is closed instead: end() destroys the socket, and PostgreSQL rolls the transaction back.
 */
function dropIfStillBusy(client: pg.PoolClient): void {
  // Not in pg's typings; central/test/database-hang.test.ts fails if a pg upgrade renames it.
  const inFlight = (client as unknown as { _getActiveQuery?: () => unknown })._getActiveQuery?.();
  if (inFlight) client.end().catch(() => undefined);
}

/** Rows of a raw `db.execute()` result: node-postgres and PGlite both return `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}

/**
 * Runs independent writes as ONE statement (data-modifying CTEs share a snapshot and all execute),
 * saving round trips on the apply path. Null entries are skipped.
 */
export async function executeTogether(db: Database, statements: readonly (SQL | null)[]): Promise<void> {
  const present = statements.filter((s): s is SQL => s !== null);
  const [only] = present;
  if (!only) return;
  if (present.length === 1) {
    await db.execute(only);
    return;
  }
  const ctes = sql.join(
    present.map((statement, i) => sql`${sql.raw(`w${i}`)} as (${statement})`),
    sql`, `,
  );
  await db.execute(sql`with ${ctes} select 1`);
}
