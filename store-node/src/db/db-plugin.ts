import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from '@stocksync/shared/service';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { startCheckpointer } from './checkpointer';
import { acquireInstanceLock } from './instance-lock';
import * as schema from './schema';

export type StoreDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

declare module 'fastify' {
  interface FastifyInstance {
    db: StoreDb;
    sqlite: Database.Database;
    /** Set when acknowledgements wait for the WAL fsync (SQLITE_SYNCHRONOUS=FULL, the default). */
    walFileToSync: string | undefined;
    /** Path of the store's SQLite file (the outbox publisher thread opens it read-only). */
    sqliteFile: string;
  }
}

const MIGRATIONS = join(packageDir(import.meta.url), 'drizzle');

export function openStoreDatabase(opts: { dataDir: string; storeId: string; synchronous: 'FULL' | 'NORMAL' }) {
  mkdirSync(opts.dataDir, { recursive: true });
  const file = join(opts.dataDir, `store-${opts.storeId}.sqlite`);
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL durability without FULL's fsync on the event loop: SQLite commits with NORMAL and the write
  // queue fsyncs the WAL itself, off-thread, before answering (write-queue.ts).
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // This connection is the file's only writer (the instance lock keeps other nodes off; its own
  // threads only read or checkpoint PASSIVE, which never blocks it), so a busy lock means another
  // program writing (an open sqlite3 session). Waiting for it would freeze the event loop, since
  // better-sqlite3 is synchronous: give up quickly and refuse the write with a 503 instead.
  sqlite.pragma('busy_timeout = 100');
  // Checkpoints run in a worker on their own connection, off the request path (DESIGN §9).
  sqlite.pragma('wal_autocheckpoint = 0');
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS });
  return { file, sqlite, db, walFileToSync: opts.synchronous === 'FULL' ? `${file}-wal` : undefined };
}

export const dbPlugin = fp(
  async (app: FastifyInstance) => {
    const { config } = app;
    const lock = acquireInstanceLock(config.DATA_DIR, config.STORE_ID);
    let opened: ReturnType<typeof openStoreDatabase>;
    try {
      // A fork re-entry cut between its two renames (recover-store.ts): starting now would open an
      // empty file and, offline, sell from seq 1. The recovery finishes the swap.
      const interrupted = `${join(config.DATA_DIR, `store-${config.STORE_ID}.sqlite`)}.reentered`;
      if (existsSync(interrupted)) {
        throw new Error(`${interrupted} exists: a fork re-entry was interrupted; run npm run store:recover first`);
      }
      opened = openStoreDatabase({
        dataDir: config.DATA_DIR,
        storeId: config.STORE_ID,
        synchronous: config.SQLITE_SYNCHRONOUS,
      });
    } catch (error) {
      lock.release();
      throw error;
    }
    const { file, sqlite, db, walFileToSync } = opened;
    const checkpointer = startCheckpointer(file);
    app.decorate('db', db);
    app.decorate('sqlite', sqlite);
    app.decorate('walFileToSync', walFileToSync);
    app.decorate('sqliteFile', file);
    app.addHook('onClose', async () => {
      await checkpointer.stop();
      sqlite.close();
      lock.release();
    });
  },
  { name: 'db', dependencies: ['config'] },
);
