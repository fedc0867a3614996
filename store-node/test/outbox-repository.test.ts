import { afterEach, describe, expect, it } from 'vitest';
import { seedStock, uniqueSku } from './support/factories';
import { createTestStore, type TestStore } from './support/test-store';

describe('outbox cursor and pruning', () => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  const outboxSeqs = (s: TestStore) =>
    (s.app.sqlite.prepare('SELECT seq FROM outbox ORDER BY seq').all() as Array<{ seq: number }>).map((r) => r.seq);

  it('counts pending from the acknowledged cursor, and prunes only acknowledged rows past retention', async () => {
    store = await createTestStore();
    const { app } = store;
    const sku = uniqueSku();
    await seedStock(app, [{ sku, onHand: 100 }]);
    for (let i = 0; i < 9; i++) {
      const res = await store.request({ method: 'POST', url: '/sales', payload: { lines: [{ sku, qty: 1 }] } });
      expect(res.statusCode).toBe(201);
    }
    const now = app.clock.now();
    expect(app.repos.outbox.stats(now)).toMatchObject({ pending: 10, lastPublishedSeq: 0 });

    await app.writes.submit(() => app.repos.outbox.markSentUpTo(6));
    // The cursor never moves back, whatever order acknowledgements are written in.
    await app.writes.submit(() => app.repos.outbox.markSentUpTo(4));
    expect(app.repos.outbox.stats(now)).toMatchObject({ pending: 4, lastPublishedSeq: 6 });

    // Nothing is old enough yet.
    expect(await app.writes.submit(() => app.repos.outbox.prunePublished(now - 60_000, 100))).toBe(0);
    // Past retention, in bounded chunks, and never beyond the cursor.
    expect(await app.writes.submit(() => app.repos.outbox.prunePublished(now + 1, 4))).toBe(4);
    expect(await app.writes.submit(() => app.repos.outbox.prunePublished(now + 1, 4))).toBe(2);
    expect(outboxSeqs(store)).toEqual([7, 8, 9, 10]);
    expect(app.repos.outbox.stats(now)).toMatchObject({ pending: 4, lastPublishedSeq: 6 });

    await app.writes.submit(() => app.repos.outbox.markSentUpTo(10));
    expect(app.repos.outbox.stats(now)).toMatchObject({ pending: 0, oldestPendingAgeMs: 0, lastPublishedSeq: 10 });
  });
});
