/**
 * Raw limits of the local parts underneath a store node (DESIGN §9: Fastify, SQLite; the services' are in
 * raw-service-limits.ts), measured in the current run so every benchmark
 * figure can be printed next to what this machine can do at all. Each function cleans up after itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { DEFAULT_LOAD, runLoad } from './load-generator';
import { type LatencySummary, nowMs, perSecond, runFor, summarize } from './stats';

// ---------------------------------------------------------------------------------------------- Fastify

export interface NoopFastifyOptions {
  connections?: number;
  durationSec?: number;
  pipelining?: number;
  warmupSec?: number;
  /** Also measure latency at these open-loop rates (the load generator's own floor at that rate). */
  openLoopRates?: number[];
}

export interface NoopFastifyResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Open-loop latency at each rate asked for. */
  openLoop: Array<{ rate: number; achieved: number; p50Ms: number; p99Ms: number; p999Ms: number }>;
}

const SaleBody = Type.Object(
  {
    lines: Type.Array(
      Type.Object(
        { sku: Type.String({ minLength: 1, maxLength: 64 }), qty: Type.Integer({ minimum: 1, maximum: 10_000 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
  },
  { additionalProperties: false },
);

export const NOOP_SALE_BODY = JSON.stringify({ lines: [{ sku: 'SKU-000001', qty: 1 }] });

/** A Fastify 5 server with one schema-validated no-op POST route, the ceiling for any POS route. */
export async function measureNoopFastify(options: NoopFastifyOptions = {}): Promise<NoopFastifyResult> {
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
  app.post('/sales', { schema: { body: SaleBody } }, async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const { port } = app.server.address() as AddressInfo;
    const common = {
      url: `http://127.0.0.1:${port}/sales`,
      method: 'POST' as const,
      body: NOOP_SALE_BODY,
      connections: options.connections ?? DEFAULT_LOAD.connections,
      durationSec: options.durationSec ?? DEFAULT_LOAD.durationSec,
      pipelining: options.pipelining ?? DEFAULT_LOAD.pipelining,
      warmupSec: options.warmupSec ?? DEFAULT_LOAD.warmupSec,
    };
    const load = await runLoad(common);
    const openLoop: NoopFastifyResult['openLoop'] = [];
    for (const rate of options.openLoopRates ?? []) {
      const r = await runLoad({ ...common, openLoopRate: rate });
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`no-op route answered ${r.non2xx} non-2xx, ${r.errors} errors`);
      openLoop.push({ rate, achieved: r.reqPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms });
    }
    if (load.non2xx > 0 || load.errors > 0) {
      throw new Error(`no-op route answered ${load.non2xx} non-2xx and ${load.errors} errors`);
    }
    return { reqPerSec: load.reqPerSec, p50Ms: load.p50Ms, p99Ms: load.p99Ms, p999Ms: load.p999Ms, openLoop };
  } finally {
    await app.close();
  }
}

// ---------------------------------------------------------------------------------------------- SQLite

export interface SqliteResult {
  /** One 3-statement transaction per commit, synchronous=FULL. */
  fullTxPerSec: number;
  /** 50 such operations per commit, synchronous=FULL. */
  full50OpsPerSec: number;
  /** One transaction per commit, synchronous=NORMAL (WAL fsyncs only at checkpoints). */
  normalTxPerSec: number;
  /** Duration of one FULL commit (the WAL write and its fsync): the disk's floor under any durable answer. */
  fullCommit: LatencySummary;
  /**
   * What a write arriving at a random moment waits under group commit on this disk: the rest of the
   * commit in flight, then its own (see `groupCommitWait`). Time-weighted, so the disk's rare long
   * flushes count for every write that arrives while one lasts: the floor under a durable p99 at any rate.
   */
  arrivalWait: LatencySummary;
}

/**
 * The wait of a write arriving at a uniformly random moment of a run of back-to-back commits
 * (`commits` in time order, each [start, end] ms): one arriving during commit k joins commit k + 1 and
 * is durable at its end. Sampled every `stepMs` from the first commit's end to the last one's start.
 */
export function groupCommitWait(commits: ReadonlyArray<readonly [number, number]>, stepMs = 0.01): LatencySummary {
  const waits: number[] = [];
  let k = 0;
  const last = commits.length - 1;
  for (let t = commits[0]?.[1] ?? 0; last > 0 && t < commits[last]![0]; t += stepMs) {
    while (commits[k]![1] <= t) k++;
    // t is inside commit k (or in the gap just before it): the next commit to start after t ends this wait.
    const joins = commits[k]![0] <= t ? k + 1 : k;
    waits.push(commits[joins]![1] - t);
  }
  return summarize(waits);
}

const SQLITE_SKUS = 1000;
const SQLITE_SCHEMA = `
  CREATE TABLE stock (sku TEXT PRIMARY KEY, on_hand INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE ledger (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, delta INTEGER NOT NULL, at INTEGER NOT NULL);
  CREATE TABLE outbox (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL, sent_at INTEGER);
`;

type SaleOp = (i: number) => void;

function openSqlite(file: string, synchronous: 'FULL' | 'NORMAL'): { db: Database.Database; op: SaleOp } {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(SQLITE_SCHEMA);
  const seed = db.prepare('INSERT INTO stock (sku, on_hand, version) VALUES (?, 1000000000, 0)');
  db.transaction(() => {
    for (let i = 0; i < SQLITE_SKUS; i++) seed.run(skuOf(i));
  })();
  const update = db.prepare('UPDATE stock SET on_hand = on_hand - 1, version = version + 1 WHERE sku = ?');
  const ledger = db.prepare('INSERT INTO ledger (sku, delta, at) VALUES (?, -1, ?)');
  const outbox = db.prepare('INSERT INTO outbox (payload) VALUES (?)');
  const op: SaleOp = (i) => {
    const sku = skuOf(i % SQLITE_SKUS);
    const at = Date.now();
    update.run(sku);
    ledger.run(sku, at);
    outbox.run(`{"type":"stock.sold","storeId":"s1","sku":"${sku}","qty":1,"seq":${i},"at":${at}}`);
  };
  return { db, op };
}

function skuOf(i: number): string {
  return `SKU-${String(i).padStart(6, '0')}`;
}

function sqliteRate(dir: string, name: string, synchronous: 'FULL' | 'NORMAL', perCommit: number, ms: number) {
  const { db, op } = openSqlite(join(dir, `${name}.sqlite`), synchronous);
  try {
    let i = 0;
    const commit = db.transaction(() => {
      for (let k = 0; k < perCommit; k++) op(i++);
    });
    const commits: Array<[number, number]> = [];
    const { count, elapsedMs } = runFor(ms, () => {
      const start = nowMs();
      commit();
      commits.push([start, nowMs()]);
    });
    return {
      opsPerSec: perSecond(count * perCommit, elapsedMs),
      commit: summarize(commits.map(([start, end]) => end - start)),
      arrivalWait: groupCommitWait(commits),
    };
  } finally {
    db.close();
  }
}

/** better-sqlite3 on a temp file in WAL mode: a stock update, a ledger insert and an outbox insert per op. */
export function measureSqliteFull(durationMs = 2000, fullDurationMs = 6000): SqliteResult {
  const dir = mkdtempSync(join(tmpdir(), 'stocksync-bench-'));
  try {
    // As long as a measured load run (warm-up included): this disk's long flushes come seconds apart.
    const full = sqliteRate(dir, 'full-1', 'FULL', 1, fullDurationMs);
    return {
      fullTxPerSec: full.opsPerSec,
      full50OpsPerSec: sqliteRate(dir, 'full-50', 'FULL', 50, durationMs).opsPerSec,
      normalTxPerSec: sqliteRate(dir, 'normal-1', 'NORMAL', 1, durationMs).opsPerSec,
      fullCommit: full.commit,
      arrivalWait: full.arrivalWait,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
