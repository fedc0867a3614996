import { randomBytes } from 'node:crypto';
import { newId } from '@stocksync/shared';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database';
import { createReservationAttemptsRepository } from '../src/db/reservation-attempts-repository';
import { createReservationsRepository, type NewHeldRow } from '../src/db/reservations-repository';
import { createBackend, type Driver, startCentral } from './helpers/central-harness';

const held = (overrides: Partial<NewHeldRow> = {}): NewHeldRow => ({
  id: newId(),
  storeId: 's1',
  sku: `SKU-${randomBytes(3).toString('hex')}`,
  qty: 2,
  orderRef: `order-${randomBytes(3).toString('hex')}`,
  expiresAt: new Date(Date.UTC(2030, 0, 1, 12, 0, 0, 250)),
  ...overrides,
});

/** The one-statement writes of the reservation path, on both databases central runs on. */
describe.each<Driver>(['postgres', 'pglite'])('reservation records on %s', (driver) => {
  let app: FastifyInstance;
  let backend: Awaited<ReturnType<typeof createBackend>>;

  beforeAll(async () => {
    backend = await createBackend(driver);
    app = await startCentral({ prefix: `t${randomBytes(4).toString('hex')}`, env: backend.env });
  });
  afterAll(async () => {
    await app?.close();
    await backend?.cleanup();
  });

  it('records new holds in input order and returns an existing one as it was, never overwritten', async () => {
    const repo = createReservationsRepository(app.db);
    const first = held();
    const [stored] = await repo.insertHeldMany([first]);
    expect(stored).toMatchObject({ ...first, status: 'held' });
    expect(stored?.createdAt).toBeInstanceOf(Date);
    expect(stored?.expiresAt.toISOString()).toBe('2030-01-01T12:00:00.250Z');

    const second = held({ qty: 1 });
    const retried = { ...first, qty: 99, orderRef: 'other' };
    const rows = await repo.insertHeldMany([second, retried]);
    expect(rows.map((r) => r.id)).toEqual([second.id, first.id]);
    expect(rows[1]).toMatchObject({ qty: 2, orderRef: first.orderRef });
    expect(rows[1]?.createdAt.getTime()).toBe(stored?.createdAt.getTime());
    expect(await repo.find(second.id)).toMatchObject({ ...second, status: 'held' });
  });

  it('records attempts once per (reservation, store), and a retry re-opens a settled one', async () => {
    const attempts = createReservationAttemptsRepository(app.db);
    const keys = [held(), held()].map((h) => ({ reservationId: h.id, storeId: 's1', sku: h.sku }));
    await attempts.record(keys);
    expect(
      await attempts.unsettled(
        's1',
        keys.map((k) => k.reservationId),
      ),
    ).toEqual(new Set(keys.map((k) => k.reservationId)));
    await attempts.settle([keys[0]!]);
    expect(
      await attempts.unsettled(
        's1',
        keys.map((k) => k.reservationId),
      ),
    ).toEqual(new Set([keys[1]!.reservationId]));
    await attempts.record([keys[0]!]);
    expect((await attempts.unsettled('s1', [keys[0]!.reservationId])).size).toBe(1);
    const [count] = rowsOf<{ n: number }>(
      await app.db.execute(
        sql`select count(*)::int as n from reservation_attempts where reservation_id = ${keys[0]!.reservationId}`,
      ),
    );
    expect(count?.n).toBe(1);
  });
});
