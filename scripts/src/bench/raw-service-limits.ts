/**
 * Raw limits of the services underneath the system (DESIGN §9: JetStream, PostgreSQL, Redis), measured in the
 * current run so every benchmark figure can be printed next to what this machine can do at all. Each
 * function cleans up after itself (its stream, table or keys carry a unique run id).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Redlock } from './redlock';
import { nowMs, perSecond, runForAsync, Samples, summarize } from './stats';

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
