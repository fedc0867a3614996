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

/** Cumulative bucket counts (upper bound → count) of one Prometheus histogram series in a /metrics text. */
export function histogramBuckets(metrics: string, name: string, label = ''): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`) || !line.includes(label)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le !== undefined)
      buckets.set(Number(le === '+Inf' ? Number.POSITIVE_INFINITY : le), Number(line.split(' ').at(-1)));
  }
  return buckets;
}

/**
 * The q-quantile of what a histogram counted between two scrapes, in the histogram's unit. In a bucket
 * no wider than `exactWidth` the answer is the bucket's upper bound (exact when every value is a whole
 * multiple of that width); in a wider one it is interpolated linearly, as PromQL's histogram_quantile does.
 */
export function histogramQuantile(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
  q: number,
  exactWidth = 0,
): number {
  const counted = (le: number) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const rank = q * counted(Number.POSITIVE_INFINITY);
  let lower = 0;
  let below = 0;
  for (const le of [...after.keys()].sort((x, y) => x - y)) {
    const upTo = counted(le);
    if (upTo > 0 && upTo >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lower;
      if (le - lower <= exactWidth * (1 + 1e-9)) return le;
      return lower + ((le - lower) * (rank - below)) / (upTo - below);
    }
    lower = le;
    below = upTo;
  }
  return Number.NaN;
}

/** Reads a counter or gauge (first series) from a /metrics text. */
export function metricValue(metrics: string, name: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return Number(line?.split(' ').at(-1) ?? Number.NaN);
}

/**
 * Central's commit → visible quantiles of the sales applied between two scrapes of its /metrics, in ms.
 * Both ends of that latency are whole milliseconds, and so are the buckets up to 25 ms: exact there.
 */
export function commitToCentralQuantiles(before: string, after: string): Array<{ p: number; ms: number }> {
  const sold = (metrics: string) => histogramBuckets(metrics, 'central_apply_latency_seconds', 'type="stock.sold"');
  const [from, to] = [sold(before), sold(after)];
  return [0.5, 0.9, 0.99, 0.999].map((q) => ({ p: q * 100, ms: histogramQuantile(from, to, q, 0.001) * 1000 }));
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
