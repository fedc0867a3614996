/**
 * Raw limits of the parts underneath the system (DESIGN §9), measured in the current run so every benchmark
 * figure can be printed next to what this machine can do at all. Each function cleans up after itself.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AckPolicy, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Type } from '@sinclair/typebox';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DEFAULT_LOAD, runLoad } from './load-generator';
import { Redlock } from './redlock';
import { type LatencySummary, nowMs, perSecond, runFor, runForAsync, Samples, summarize } from './stats';

/** Rejects with `message` unless `promise` settles within `ms`; the timer never outlives the race. */
async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function runId(): string {
  return `${process.pid}_${randomBytes(4).toString('hex')}`;
}

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
    const samples: number[] = [];
    const { count, elapsedMs } = runFor(ms, () => {
      const start = nowMs();
      commit();
      samples.push(nowMs() - start);
    });
    return { opsPerSec: perSecond(count * perCommit, elapsedMs), commit: summarize(samples) };
  } finally {
    db.close();
  }
}

/** better-sqlite3 on a temp file in WAL mode: a stock update, a ledger insert and an outbox insert per op. */
export function measureSqliteFull(durationMs = 2000): SqliteResult {
  const dir = mkdtempSync(join(tmpdir(), 'stocksync-bench-'));
  try {
    const full = sqliteRate(dir, 'full-1', 'FULL', 1, durationMs);
    return {
      fullTxPerSec: full.opsPerSec,
      full50OpsPerSec: sqliteRate(dir, 'full-50', 'FULL', 50, durationMs).opsPerSec,
      normalTxPerSec: sqliteRate(dir, 'normal-1', 'NORMAL', 1, durationMs).opsPerSec,
      fullCommit: full.commit,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------- JetStream

export interface JetStreamLatencyOptions {
  natsUrl: string;
  messages?: number;
  ratePerSec?: number;
}

export interface JetStreamLatencyResult {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  messages: number;
}

const JS_WARMUP = 200;
// An event envelope is a few hundred bytes; latency is measured with one that size.
const JS_PAYLOAD_PAD = 'x'.repeat(300);

/**
 * Publish (awaiting the PubAck, as a store relay would) → delivery to a durable pull consumer with explicit
 * acks (as central consumes), at a steady rate on a fresh file-backed stream that is deleted afterwards.
 */
export async function measureJetStreamLatency(options: JetStreamLatencyOptions): Promise<JetStreamLatencyResult> {
  const total = (options.messages ?? 2000) + JS_WARMUP;
  const intervalMs = 1000 / (options.ratePerSec ?? 1000);
  const id = runId();
  const stream = `BENCH_RAW_${id}`;
  const subject = `bench.raw.${id}`;
  const nc = await connect({ servers: options.natsUrl });
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File });
    await jsm.consumers.add(stream, { durable_name: 'bench', ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    const consumer = await js.consumers.get(stream, 'bench');
    const sentAt = new Float64Array(total);
    const latencies = new Samples(total);
    let received = 0;
    let allReceived: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allReceived = resolve;
    });
    const messages = await consumer.consume({
      max_messages: 256,
      callback: (m) => {
        const index = m.seq - 1;
        if (index >= JS_WARMUP) latencies.push(nowMs() - (sentAt[index] ?? Number.NaN));
        m.ack();
        if (++received === total) allReceived();
      },
    });
    try {
      const start = nowMs();
      for (let i = 0; i < total; i++) {
        const wait = start + i * intervalMs - nowMs();
        if (wait > 0) await sleep(wait);
        sentAt[i] = nowMs();
        await js.publish(subject, `{"i":${i},"pad":"${JS_PAYLOAD_PAD}"}`, { msgID: `${id}-${i}` });
      }
      await withTimeout(done, 10_000, `JetStream delivered ${received} of ${total} messages within 10 s`);
    } finally {
      await messages.close();
    }
    const s = latencies.summary();
    return { p50Ms: s.p50Ms, p99Ms: s.p99Ms, p999Ms: s.p999Ms, messages: s.count };
  } finally {
    await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
  }
}

// ---------------------------------------------------------------------------------------------- PostgreSQL

export interface PgBatchedInsertOptions {
  databaseUrl: string;
  durationMs?: number;
  batchSize?: number;
}

export interface PgBatchedInsertResult {
  /** One event row per INSERT, each its own commit. */
  singleCommitsPerSec: number;
  /** Rows per second when each INSERT/commit carries `batchSize` rows. */
  batchedRowsPerSec: number;
  batchSize: number;
}

const PG_STORE_IDS = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10'];

function pgPayload(seq: number): string {
  return `{"type":"stock.sold","sku":"SKU-${seq % 1000}","qty":1,"seq":${seq}}`;
}

/**
 * Event-shaped rows into a uniquely named ordinary table (a TEMP table is not WAL-logged, so its commits
 * would skip the fsync that bounds the real thing), dropped afterwards.
 */
export async function measurePgBatchedInsert(options: PgBatchedInsertOptions): Promise<PgBatchedInsertResult> {
  const durationMs = options.durationMs ?? 2000;
  const batchSize = options.batchSize ?? 500;
  const table = `bench_raw_${runId()}`;
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    await client.query(
      `CREATE TABLE ${table} (id uuid PRIMARY KEY, store_id text NOT NULL, seq bigint NOT NULL,
         payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`,
    );
    let seq = 0;
    const single = await runForAsync(durationMs, async () => {
      seq++;
      await client.query({
        name: `${table}_one`,
        text: `INSERT INTO ${table} (id, store_id, seq, payload) VALUES ($1, $2, $3, $4)`,
        values: [randomUUID(), PG_STORE_IDS[seq % PG_STORE_IDS.length], seq, pgPayload(seq)],
      });
    });
    const batched = await runForAsync(durationMs, async () => {
      const ids: string[] = [];
      const stores: string[] = [];
      const seqs: number[] = [];
      const payloads: string[] = [];
      for (let k = 0; k < batchSize; k++) {
        seq++;
        ids.push(randomUUID());
        stores.push(PG_STORE_IDS[seq % PG_STORE_IDS.length] ?? 's1');
        seqs.push(seq);
        payloads.push(pgPayload(seq));
      }
      await client.query({
        name: `${table}_batch`,
        text: `INSERT INTO ${table} (id, store_id, seq, payload)
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::jsonb[])`,
        values: [ids, stores, seqs, payloads],
      });
    });
    return {
      singleCommitsPerSec: perSecond(single.count, single.elapsedMs),
      batchedRowsPerSec: perSecond(batched.count * batchSize, batched.elapsedMs),
      batchSize,
    };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------- Redis lock

export interface RedisLockOptions {
  redisUrl: string;
  iterations?: number;
}

export interface RedisLockResult {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  iterations: number;
}

const LOCK_WARMUP = 100;

/** Uncontended redlock acquire + release on one Redis, each iteration on a fresh key. */
export async function measureRedisLock(options: RedisLockOptions): Promise<RedisLockResult> {
  const iterations = options.iterations ?? 2000;
  const prefix = `bench:raw:lock:${runId()}`;
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const redlock = new Redlock([redis], { retryCount: 0 });
  // Redlock re-emits Redis errors as events; without a listener an EventEmitter 'error' would crash the run.
  redlock.on('error', () => {});
  try {
    const samples = new Samples(iterations);
    for (let i = 0; i < iterations + LOCK_WARMUP; i++) {
      const start = nowMs();
      const lock = await redlock.acquire([`${prefix}:${i}`], 5000);
      await lock.release();
      if (i >= LOCK_WARMUP) samples.push(nowMs() - start);
    }
    const s = summarize(samples.values());
    return { p50Ms: s.p50Ms, p99Ms: s.p99Ms, meanMs: s.meanMs, iterations: s.count };
  } finally {
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
  }
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
