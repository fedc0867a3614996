/**
 * Central apply throughput (DESIGN §9 "Central apply ≥ 20,000 events/s, aim ≥ 0.4× batched PostgreSQL
 * insert"): 100k hash-chained events of 10 stores are put on the stream first, then one central replica
 * catches up; next to it, the raw limit: the same rows inserted into the same ledger table, 500 per
 * transaction, with nothing else (no NATS, parsing, hashing, locking or projection).
 *
 *   npx tsx central/test/bench/apply-throughput.ts [events=100000] [stores=10]
 */
import { sql } from 'drizzle-orm';
import { openDatabase, rowsOf } from '../../src/db/database';
import { createLedgerRepository } from '../../src/db/ledger-repository';
import { startCentral, syncSnapshot } from '../helpers/central-harness';
import { interleave, rng, StoreEventFactory } from '../helpers/event-factory';
import { publishEvents, testNats } from '../helpers/nats-helpers';
import { createPgDatabase, createTempDir, deleteStreams, uniquePrefix, waitFor } from '../helpers/test-env';

const total = Number(process.argv[2] ?? 100_000);
const storeCount = Number(process.argv[3] ?? 10);
const perStore = Math.floor(total / storeCount);
const stores = Array.from({ length: storeCount }, (_, i) => `b${i + 1}`);

const factories = stores.map((id, i) => new StoreEventFactory(id, rng(i + 1)));
const events = interleave(factories.map((f) => f.generate(perStore, ['A-1', 'A-2', 'B-1', 'B-2', 'C-1', 'C-2'])));

const pgDb = await createPgDatabase();
const dir = await createTempDir();
const prefix = uniquePrefix();
const t = await testNats(prefix);
try {
  await publishEvents(t, events);

  // Raw limit in the same database: the same rows into the same ledger table (same indexes), 500 per
  // transaction, with nothing else (no NATS, parsing, hashing, locking or projection).
  const raw = await openDatabase({ databaseUrl: pgDb.url, dataDir: dir.path });
  let started = performance.now();
  for (let i = 0; i < events.length; i += 500) {
    await raw.db.transaction((tx) => createLedgerRepository(tx).insertMany(events.slice(i, i + 500)));
  }
  const rawSeconds = (performance.now() - started) / 1000;
  await raw.db.execute(sql`truncate ledger`);
  await raw.close();

  const app = await startCentral({
    prefix,
    env: { DATA_DIR: dir.path, DATABASE_URL: pgDb.url, APPLY_BATCH_MAX: process.env.APPLY_BATCH_MAX ?? '1000' },
  });
  started = performance.now();
  // A cheap probe (one row per store) so polling does not compete with the apply for PostgreSQL.
  await waitFor(
    async () =>
      Number(rowsOf<{ n: string }>(await app.db.execute(sql`select sum(last_seq) as n from stores`))[0]?.n ?? 0),
    (n) => n === perStore * storeCount,
    { timeoutMs: 300_000, intervalMs: 20 },
  );
  const applySeconds = (performance.now() - started) / 1000;
  const snap = await syncSnapshot(app.db);
  await app.close();

  const applyRate = events.length / applySeconds;
  const rawRate = events.length / rawSeconds;
  console.log(
    JSON.stringify(
      {
        events: events.length,
        stores: storeCount,
        ledgerRows: snap.ledger,
        applyEventsPerSecond: Math.round(applyRate),
        rawBatchedInsertPerSecond: Math.round(rawRate),
        ratio: Number((applyRate / rawRate).toFixed(2)),
      },
      null,
      2,
    ),
  );
} finally {
  await t.nc.close();
  await deleteStreams(prefix);
  await pgDb.drop();
  await dir.remove();
}
