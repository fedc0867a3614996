/** The raw limits of DESIGN §9 as report sections; those later sections compare against store their result in `ctx.raw`. */
import { measureNoopFastify, measureSqliteFull } from './raw-limits';
import { measureLoopbackRoundTrip } from './raw-loopback-limit';
import { measureJetStreamLatency, measurePgBatchedInsert, measureRedisLock } from './raw-service-limits';
import type { BenchSection } from './report';

/** The fixed rates later sections measure latency at (POS sales, online reservations). */
export const OPEN_LOOP_RATES = [5_000, 1_000];

/** DESIGN §9: "no-op Fastify route ≈ 61k req/s" on the machines the absolute targets were set on. */
const REFERENCE_NOOP_REQ_PER_SEC = 61_000;

const noopFastify: BenchSection = {
  name: 'Raw: no-op Fastify route',
  async run(ctx) {
    const r = await measureNoopFastify({ ...ctx.load, openLoopRates: OPEN_LOOP_RATES });
    ctx.raw.noopFastify = r;
    const what = 'validated no-op POST';
    return [
      { figure: `${what}, throughput`, value: r.reqPerSec, unit: 'req/s' },
      { figure: `${what}, p50`, value: r.p50Ms, unit: 'ms' },
      { figure: `${what}, p99`, value: r.p99Ms, unit: 'ms' },
      {
        // Absolute targets were set on that machine: this ratio says how far this one is from it.
        figure: `${what}, this machine vs the brief's reference machine`,
        value: r.reqPerSec,
        unit: 'req/s',
        rawLimit: REFERENCE_NOOP_REQ_PER_SEC,
        rawLimitLabel: 'no-op route on the machine of DESIGN §9',
      },
      ...r.openLoop.flatMap((o) => {
        const at = `${what}, open loop at ${o.rate.toLocaleString('en-US')}/s`;
        return [
          { figure: `${at}, p50 (achieved ${Math.round(o.achieved)}/s)`, value: o.p50Ms, unit: 'ms' },
          { figure: `${at}, p99`, value: o.p99Ms, unit: 'ms' },
        ];
      }),
    ];
  },
};

const sqlite: BenchSection = {
  name: 'Raw: SQLite 3-statement transaction (WAL)',
  async run(ctx) {
    const r = measureSqliteFull(2000, (ctx.load.durationSec + ctx.load.warmupSec) * 1000);
    ctx.raw.sqlite = r;
    return [
      { figure: 'synchronous FULL, 1 per commit', value: r.fullTxPerSec, unit: 'tx/s' },
      { figure: 'synchronous FULL, 50 per commit', value: r.full50OpsPerSec, unit: 'ops/s' },
      { figure: 'synchronous NORMAL, 1 per commit', value: r.normalTxPerSec, unit: 'tx/s' },
      {
        figure: 'synchronous FULL, duration of one commit (write + WAL fsync), p50',
        value: r.fullCommit.p50Ms,
        unit: 'ms',
      },
      { figure: 'synchronous FULL, duration of one commit, p99', value: r.fullCommit.p99Ms, unit: 'ms' },
      { figure: 'synchronous FULL, duration of one commit, p99.9', value: r.fullCommit.p999Ms, unit: 'ms' },
      { figure: 'synchronous FULL, longest commit', value: r.fullCommit.maxMs, unit: 'ms' },
      {
        figure: 'group commit: wait of a write arriving at a random moment (commit in flight + its own), p50',
        value: r.arrivalWait.p50Ms,
        unit: 'ms',
      },
      {
        figure: 'group commit: wait of a write arriving at a random moment, p99',
        value: r.arrivalWait.p99Ms,
        unit: 'ms',
      },
      {
        figure: 'group commit: wait of a write arriving at a random moment, p99.9',
        value: r.arrivalWait.p999Ms,
        unit: 'ms',
      },
    ];
  },
};

const jetStream: BenchSection = {
  name: 'Raw: JetStream publish → consume',
  async run(ctx) {
    const r = await measureJetStreamLatency({ natsUrl: ctx.natsUrl });
    ctx.raw.jetstream = r;
    const what = `durable pull consumer, ${r.messages} msgs at 1k/s`;
    return [
      { figure: `${what}, p50`, value: r.p50Ms, unit: 'ms' },
      { figure: `${what}, p99`, value: r.p99Ms, unit: 'ms' },
    ];
  },
};

const postgres: BenchSection = {
  name: 'Raw: PostgreSQL insert',
  async run(ctx) {
    const r = await measurePgBatchedInsert({ databaseUrl: ctx.databaseUrl });
    ctx.raw.pg = r;
    return [
      { figure: '1 row per commit', value: r.singleCommitsPerSec, unit: 'commits/s' },
      { figure: `${r.batchSize} rows per commit`, value: r.batchedRowsPerSec, unit: 'rows/s' },
    ];
  },
};

const redisLock: BenchSection = {
  name: 'Raw: Redis lock + unlock (redlock, uncontended)',
  async run(ctx) {
    const r = await measureRedisLock({ redisUrl: ctx.redisUrl });
    ctx.raw.redisLock = r;
    return [
      { figure: 'p50', value: r.p50Ms, unit: 'ms' },
      { figure: 'p99', value: r.p99Ms, unit: 'ms' },
    ];
  },
};

const loopback: BenchSection = {
  name: 'Raw: one request/response between two processes (TCP loopback)',
  async run() {
    const { runs } = await measureLoopbackRoundTrip();
    return runs.map((run) => ({
      figure:
        run.rate > 0
          ? `CPU of both processes per round trip, paced at ${run.rate.toLocaleString('en-US')}/s (achieved ${Math.round(run.achievedPerSec).toLocaleString('en-US')}/s, idle between)`
          : `CPU of both processes per round trip, back to back (${Math.round(run.achievedPerSec).toLocaleString('en-US')}/s)`,
      value: run.cpuUsPerRoundTrip,
      unit: 'µs',
    }));
  },
};

export const rawLimitSections: BenchSection[] = [noopFastify, sqlite, jetStream, postgres, redisLock, loopback];
