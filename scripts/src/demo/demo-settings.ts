import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { ROOT } from './service-runner';

export const DEMO_STORES = ['s1', 's2', 's3'] as const;

export type DemoSettings = {
  dataDir: string;
  logDir: string;
  seconds: number | undefined;
  natsUrl: string;
  redisUrl: string;
  databaseUrl: string | undefined;
  natsPrefix: string;
  adminToken: string;
  viewerToken: string;
  storeToken: (storeId: string) => string;
  centralPort: number;
  storePorts: number[];
  logLevel: string;
};

async function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** The wanted port, or any free one when it is taken (another demo, another engineer's service). */
async function portOrFree(wanted: number): Promise<number> {
  if (await portFree(wanted)) return wanted;
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * The NATS prefix is chosen once per data directory and kept in demo-state.json: a reset demo
 * (fresh SQLite, fresh central) never meets the streams of an earlier one.
 */
function demoPrefix(dataDir: string): string {
  const file = join(dataDir, 'demo-state.json');
  if (existsSync(file)) {
    const state = JSON.parse(readFileSync(file, 'utf8')) as { natsPrefix?: unknown };
    if (typeof state.natsPrefix === 'string') return state.natsPrefix;
  }
  const natsPrefix = `demo${randomBytes(3).toString('hex')}`;
  writeFileSync(file, `${JSON.stringify({ natsPrefix, createdAt: new Date().toISOString() }, null, 2)}\n`);
  return natsPrefix;
}

export function demoDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(ROOT, env.DEMO_DATA_DIR ?? 'data/demo');
}

export async function loadDemoSettings(env: NodeJS.ProcessEnv = process.env): Promise<DemoSettings> {
  const dataDir = demoDataDir(env);
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const seconds = env.DEMO_SECONDS ? Number(env.DEMO_SECONDS) : undefined;
  if (seconds !== undefined && !(Number.isInteger(seconds) && seconds > 0)) {
    throw new Error(`DEMO_SECONDS must be a positive integer, got "${env.DEMO_SECONDS}"`);
  }
  const base = Number(env.DEMO_STORE_PORT_BASE ?? 7001);
  const storePorts: number[] = [];
  for (const [i] of DEMO_STORES.entries()) storePorts.push(await portOrFree(base + i));
  return {
    dataDir,
    logDir,
    seconds,
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    databaseUrl: env.DATABASE_URL || undefined,
    natsPrefix: env.NATS_PREFIX ?? demoPrefix(dataDir),
    adminToken: env.HQ_ADMIN_TOKEN ?? 'demo-admin-token',
    viewerToken: env.HQ_VIEWER_TOKEN ?? 'demo-viewer-token',
    storeToken: (storeId) => env.STORE_TOKEN ?? `demo-store-token-${storeId}`,
    centralPort: await portOrFree(Number(env.DEMO_CENTRAL_PORT ?? 8080)),
    storePorts,
    logLevel: env.DEMO_LOG_LEVEL ?? 'warn',
  };
}
