import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsNames } from '@stocksync/shared';
import { BUILT_CENTRAL_SERVER, BUILT_STORE_SERVER, ServiceProcess } from '@stocksync/shared/testing';
import pg from 'pg';
import { onAbort } from './cleanup-registry';

export const BENCH_STORE_TOKEN = 'bench-store-token';
export const BENCH_ADMIN_TOKEN = 'bench-admin-token';
export const BENCH_VIEWER_TOKEN = 'bench-viewer-token';

/**
 * Central (on its own PostgreSQL database) and store nodes as real processes, against the shared
 * NATS with a unique prefix; `dispose` stops everything and removes the database, streams and files.
 */
export async function startChainFixture(opts: {
  natsUrl: string;
  databaseUrl: string;
  centralEnv?: Record<string, string>;
}) {
  const dir = mkdtempSync(join(tmpdir(), 'stocksync-bench-chain-'));
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  const database = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: opts.databaseUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const url = new URL(opts.databaseUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const db = new pg.Client({ connectionString: databaseUrl });
  const common = { NATS_URL: opts.natsUrl, NATS_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const services: ServiceProcess[] = [];

  let disposing: Promise<void> | undefined;
  const dispose = () => {
    disposing ??= (async () => {
      unregister();
      await Promise.allSettled(services.map((s) => s.stop()));
      await db.end().catch(() => undefined);
      await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
      await admin.end().catch(() => undefined);
      const nc = await connect({ servers: opts.natsUrl });
      const jsm = await jetstreamManager(nc);
      const names = natsNames(prefix);
      for (const stream of [names.eventsStream, names.commandsStream])
        await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
      rmSync(dir, { recursive: true, force: true });
    })();
    return disposing;
  };
  const unregister = onAbort(dispose);

  let central: ServiceProcess;
  try {
    central = await ServiceProcess.start('central', BUILT_CENTRAL_SERVER, {
      ...common,
      DATABASE_URL: databaseUrl,
      DATA_DIR: join(dir, 'central'),
      HQ_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      HQ_VIEWER_TOKEN: BENCH_VIEWER_TOKEN,
      ...opts.centralEnv,
    });
    services.push(central);
    await db.connect();
  } catch (err) {
    await dispose();
    throw err;
  }

  return {
    central,
    db,
    storeDir: (storeId: string) => join(dir, storeId),
    async startStore(storeId: string, env: Record<string, string> = {}) {
      const store = await ServiceProcess.start(storeId, BUILT_STORE_SERVER, {
        ...common,
        STORE_ID: storeId,
        STORE_TOKEN: BENCH_STORE_TOKEN,
        DATA_DIR: join(dir, storeId),
        ...env,
      });
      services.push(store);
      // Started while an abort was stopping the rest: stop it too, or nothing would.
      if (disposing) {
        await store.stop();
        throw new Error(`${storeId} started after the fixture was disposed`);
      }
      return store;
    },
    /** Sum of central's contiguous apply cursors for these stores. */
    async appliedSeq(storeIds: readonly string[]): Promise<number> {
      const { rows } = await db.query<{ n: string | null }>(
        'select sum(last_seq) as n from stores where store_id = any($1)',
        [storeIds],
      );
      return Number(rows[0]?.n ?? 0);
    },
    dispose,
  };
}
export type ChainFixture = Awaited<ReturnType<typeof startChainFixture>>;

export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}

/** Reads one quantile of a Prometheus summary from a /metrics text. */
export function summaryQuantile(metrics: string, name: string, quantile: number, label = ''): number | undefined {
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && l.includes(`quantile="${quantile}"`) && l.includes(label));
  const value = line ? Number(line.split(' ').at(-1)) : Number.NaN;
  return Number.isFinite(value) ? value : undefined;
}

/** Reads a counter or gauge (first series) from a /metrics text. */
export function metricValue(metrics: string, name: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return Number(line?.split(' ').at(-1) ?? Number.NaN);
}

/** Central's exact commit → visible quantiles of sales over the last minute, in ms. */
export function commitToCentralQuantiles(metrics: string): Array<{ p: number; ms: number }> {
  return [0.5, 0.9, 0.99, 0.999].map((q) => ({
    p: q * 100,
    ms: (summaryQuantile(metrics, 'central_apply_latency_recent_seconds', q, 'type="stock.sold"') ?? Number.NaN) * 1000,
  }));
}

/** Sum of the stores' own last committed seq, read from each store's GET /sync. */
export async function storeSeqs(urls: readonly string[]): Promise<number> {
  let total = 0;
  for (const url of urls) {
    const res = await fetch(`${url}/sync`, { headers: { authorization: `Bearer ${BENCH_STORE_TOKEN}` } });
    total += ((await res.json()) as { lastSeq: number }).lastSeq;
  }
  return total;
}
