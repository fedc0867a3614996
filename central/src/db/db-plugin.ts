import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type Database, type DatabaseDriver, openDatabase } from './database';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    dbDriver: DatabaseDriver;
  }
}

/** PostgreSQL (DATABASE_URL) or embedded PGlite (DATA_DIR), migrated before anything else starts. */
export const dbPlugin = fp(
  async (app: FastifyInstance) => {
    const { DATABASE_URL, DATA_DIR } = app.config;
    const handle = await openDatabase({
      databaseUrl: DATABASE_URL,
      dataDir: DATA_DIR,
      poolSize: app.config.DATABASE_POOL_SIZE,
      connectTimeoutMs: app.config.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: app.config.DATABASE_QUERY_TIMEOUT_MS,
      onPoolError: (err) => app.log.warn({ err }, 'idle database connection failed'),
    });
    app.decorate('db', handle.db);
    app.decorate('dbDriver', handle.driver);
    app.addHook('onClose', async () => {
      await handle.close();
    });
    app.log.info({ driver: handle.driver }, 'database ready');
  },
  { name: 'db', fastify: '5.x', dependencies: ['config'] },
);
