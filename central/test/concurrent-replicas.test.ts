import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStockRepository } from '../src/db/stock-repository';
import {
  allCaughtUp,
  counter,
  createBackend,
  histogramSum,
  projection,
  type SkuState,
  startCentral,
  syncSnapshot,
} from './helpers/central-harness';
import { expectedProjection, interleave, rng, StoreEventFactory } from './helpers/event-factory';
import { consumerDrained, publishEvents, type TestNats, testNats } from './helpers/nats-helpers';
import { deleteStreams, uniquePrefix, waitFor } from './helpers/test-env';

const STORES = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
const PER_STORE = 700;
const SKUS = ['A-1', 'A-2', 'B-1', 'B-2', 'C-1'];

describe('two central replicas on one durable consumer (DESIGN §8.3, §8.4)', () => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let prefix: string;
  let t: TestNats;
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    backend = await createBackend('postgres');
    prefix = uniquePrefix();
    t = await testNats(prefix);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await t?.nc.close();
    await deleteStreams(prefix);
    await backend?.cleanup();
  });

  it('apply thousands of events across stores exactly once, converge exactly, never regress a version', async () => {
    // Small batches so both replicas interleave many transactions on the same stores.
    const replicas = await Promise.all(
      [0, 1].map(() => startCentral({ prefix, env: { ...backend.env, APPLY_BATCH_MAX: '200' } })),
    );
    apps.push(...replicas);
    const [a, b] = replicas as [FastifyInstance, FastifyInstance];

    const factories = STORES.map((id, i) => new StoreEventFactory(id, rng(100 + i)));
    const events = interleave(factories.map((f) => f.generate(PER_STORE, SKUS)));

    // Watch the projection while it moves: a (store, sku) version must never go down.
    const seen = new Map<string, SkuState>();
    const regressions: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const [key, state] of await projection(a.db)) {
          const before = seen.get(key);
          if (before && state.version < before.version)
            regressions.push(`${key}: ${before.version} → ${state.version}`);
          seen.set(key, state);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const total = STORES.length * PER_STORE;
    const copyOf = events.filter((_, i) => i % 7 === 0);
    const copies = copyOf.length;
    const caughtUp = Object.fromEntries(STORES.map((s) => [s, PER_STORE]));
    try {
      await publishEvents(t, events);
      // Late copies with new msgIDs race the originals through both replicas.
      await publishEvents(
        t,
        events.filter((_, i) => i % 7 === 0),
        { msgId: (e) => `${e.id}-again` },
      );
      await waitFor(
        () => syncSnapshot(a.db),
        (s) => allCaughtUp(s, caughtUp),
        { timeoutMs: 45_000, what: 'converged' },
      );
      // Late copies may still be in flight: wait until the stream is fully delivered and acked.
      await waitFor(
        () => consumerDrained(t),
        (done) => done,
        { what: 'stream drained' },
      );
    } finally {
      sampling = false;
      await sampler;
    }

    const snap = await syncSnapshot(a.db);
    expect(snap.ledger).toBe(total);
    expect(snap.distinctEvents).toBe(total);
    expect(snap.buffered).toBe(0);
    expect(snap.breaks).toEqual([]);
    expect(regressions).toEqual([]);
    expect(await projection(a.db)).toEqual(expectedProjection(factories));
    expect(
      (await counter(a, 'central_events_applied_total')) + (await counter(b, 'central_events_applied_total')),
    ).toBe(total);
    // Every applied event timed once, on the replica that applied it: the two histograms add up.
    const timed = (app: FastifyInstance) => histogramSum(app, 'central_apply_latency_seconds', 'count');
    expect((await timed(a)) + (await timed(b))).toBe(total);
    // Both replicas took messages (one may apply what the other buffered, so count messages, not applies).
    const handledA = await histogramSum(a, 'central_apply_batch_size');
    const handledB = await histogramSum(b, 'central_apply_batch_size');
    expect(handledA).toBeGreaterThan(0);
    expect(handledB).toBeGreaterThan(0);
    expect(handledA + handledB).toBeGreaterThanOrEqual(total + copies);
  });

  it('stock compare-and-set ignores an older or equal version (the fencing token)', async () => {
    const stock = createStockRepository(apps[0]!.db);
    const at = new Date();
    await stock.upsertNewer([{ storeId: 'cas', sku: 'X', onHand: 9, reserved: 1, version: 5 }], at);
    await stock.upsertNewer([{ storeId: 'cas', sku: 'X', onHand: 1, reserved: 0, version: 3 }], at);
    await stock.upsertNewer([{ storeId: 'cas', sku: 'X', onHand: 2, reserved: 0, version: 5 }], at);
    expect((await projection(apps[0]!.db)).get('cas/X')).toEqual({ onHand: 9, reserved: 1, version: 5 });
    await stock.upsertNewer([{ storeId: 'cas', sku: 'X', onHand: 4, reserved: 0, version: 6 }], at);
    expect((await projection(apps[0]!.db)).get('cas/X')).toEqual({ onHand: 4, reserved: 0, version: 6 });
  });
});
