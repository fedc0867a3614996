import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { startCheckpointer } from './checkpointer';
import * as schema from './schema';

export type StoreDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

declare module 'fastify' {
  interface FastifyInstance {
    db: StoreDb;
    sqlite: Database.Database;
  }
}

const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));

export function openStoreDatabase(opts: { dataDir: string; storeId: string; synchronous: 'FULL' | 'NORMAL' }) {
  mkdirSync(opts.dataDir, { recursive: true });
  const file = join(opts.dataDir, `store-${opts.storeId}.sqlite`);
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${opts.synchronous}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Checkpoints run in a worker on their own connection, off the request path (DESIGN §9).
  sqlite.pragma('wal_autocheckpoint = 0');
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS });
  return { file, sqlite, db };
}

export const dbPlugin = fp(
  async (app: FastifyInstance) => {
    const { config } = app;
    const { file, sqlite, db } = openStoreDatabase({
      dataDir: config.DATA_DIR,
      storeId: config.STORE_ID,
      synchronous: config.SQLITE_SYNCHRONOUS,
    });
    const checkpointer = startCheckpointer(file);
    app.decorate('db', db);
    app.decorate('sqlite', sqlite);
    app.addHook('onClose', async () => {
      await checkpointer.stop();
      sqlite.close();
    });
  },
  { name: 'db', dependencies: ['config'] },
);
