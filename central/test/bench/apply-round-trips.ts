/**
 * Low-rate apply cost (DESIGN §9 "commit → visible p50 ≤ 5 ms"): applies batches of 1–2 events of one
 * store, one after another, straight through applyBatch with the production hooks, and reports the
 * per-batch time and the PostgreSQL round trips it took (counted on the pool's clients).
 *
 *   npx tsx central/test/bench/apply-round-trips.ts [batches=2000] [perBatch=1]
 */

import pg from 'pg';
import { pino } from 'pino';
import { openDatabase } from '../../src/db/database';
import { type ApplyHook, applyBatch } from '../../src/domain/apply-batch';
import { lowStockApplyHook } from '../../src/domain/low-stock-alerts';
import { reservationApplyHook } from '../../src/domain/reservation-apply-hook';
import { createTransferApplyHook } from '../../src/domain/transfer-apply-hook';
import { rng, StoreEventFactory } from '../helpers/event-factory';
import { createPgDatabase, createTempDir } from '../helpers/test-env';

const batches = Number(process.argv[2] ?? 2000);
const perBatch = Number(process.argv[3] ?? 1);

// Count every query sent by any pool client (one query = one round trip in node-postgres).
let roundTrips = 0;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  roundTrips++;
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const pgDb = await createPgDatabase();
const dir = await createTempDir();
try {
  const { db, close } = await openDatabase({ databaseUrl: pgDb.url, dataDir: dir.path });
  const hooks: ApplyHook[] = [
    createTransferApplyHook({ onCommands: () => undefined, log: pino({ level: 'silent' }) }),
    reservationApplyHook,
    lowStockApplyHook(() => undefined),
  ];
  const factory = new StoreEventFactory('rt1', rng(7));
  const events = factory.generate(batches * perBatch, ['A-1', 'A-2', 'B-1']);
  const opts = {
    window: 1000,
    knownStores: new Set<string>(),
    hooks,
    cursorCache: process.env.FAST_PATH === '0' ? undefined : new Map(),
  };
  const warm = 50;
  const times: number[] = [];
  let trips = 0;
  for (let i = 0; i < batches; i++) {
    const batch = events.slice(i * perBatch, (i + 1) * perBatch);
    const before = roundTrips;
    const started = performance.now();
    await applyBatch(db, { events: batch }, opts);
    if (i >= warm) {
      times.push(performance.now() - started);
      trips += roundTrips - before;
    }
  }
  await close();
  times.sort((a, b) => a - b);
  const q = (p: number) => Number((times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0).toFixed(2));
  console.log(
    JSON.stringify({
      batches: times.length,
      perBatch,
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      roundTripsPerBatch: trips / times.length,
    }),
  );
} finally {
  await pgDb.drop();
  await dir.remove();
}
