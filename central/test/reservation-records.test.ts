import { randomBytes } from 'node:crypto';
import { newId } from '@stocksync/shared';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database';
import { createDatabaseClock } from '../src/db/database-clock';
import { createReservationAttemptsRepository } from '../src/db/reservation-attempts-repository';
import { createReservationsRepository, type NewHeldRow } from '../src/db/reservations-repository';
import { createBackend, type Driver, startCentral } from './helpers/central-harness';
import { VIEWER_TOKEN } from './helpers/test-env';

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

  it('finds many by id in one query, answering in input order with undefined where none', async () => {
    const repo = createReservationsRepository(app.db);
    const [a, b] = [held(), held()];
    await repo.insertHeldMany([a, b]);
    const missing = newId();
    const found = await repo.findMany([b.id, missing, a.id, b.id]);
    expect(found.map((r) => r?.id)).toEqual([b.id, undefined, a.id, b.id]);
    expect(found[2]).toMatchObject({ ...a, status: 'held' });
    expect(await repo.findMany([])).toEqual([]);
  });

  it('records nothing when the insert runs past its deadline (a statement a hung server ran late)', async () => {
    // Central gives up on a statement at its query timeout; one that runs later must not commit on its own.
    const late = held();
    const input = JSON.stringify([{ ...late, expiresAt: late.expiresAt.toISOString() }]);
    const past = new Date(Date.now() - 1).toISOString();
    await expect(
      app.db.execute(sql`select * from stocksync_record_holds(${input}::json, ${past}::timestamptz)`),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/past its deadline/) } });
    const repo = createReservationsRepository(app.db, { queryTimeoutMs: 60_000 });
    expect(await repo.find(late.id)).toBeUndefined();
    // Within the window it records, as without one.
    expect((await repo.insertHeldMany([late]))[0]).toMatchObject({ id: late.id, status: 'held' });
  });

  it("sets that deadline on PostgreSQL's clock: a database clock behind central's moves it earlier", async () => {
    // Window 1 s (a 2 s query timeout less its margin); PostgreSQL 5 s behind: the deadline has passed there.
    const behind = createReservationsRepository(app.db, {
      queryTimeoutMs: 2_000,
      databaseNow: () => Date.now() - 5_000,
    });
    const refused = held();
    await expect(behind.insertHeldMany([refused])).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/past its deadline/) },
    });
    expect(await behind.find(refused.id)).toBeUndefined();
    const inStep = createReservationsRepository(app.db, { queryTimeoutMs: 2_000, databaseNow: Date.now });
    expect((await inStep.insertHeldMany([refused]))[0]).toMatchObject({ id: refused.id, status: 'held' });
  });

  it("measures PostgreSQL's clock against central's (one machine here: the offset is within the reading's error)", async () => {
    const clock = createDatabaseClock(app.db);
    expect(clock.reading).toBeUndefined();
    const reading = await clock.measure();
    expect(reading).toBeDefined();
    expect(Math.abs(reading!.offsetMs)).toBeLessThanOrEqual(reading!.uncertaintyMs + 2);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThanOrEqual(reading!.uncertaintyMs + 2);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    // Watched only where statements can be abandoned at a timeout (the postgres driver).
    const gauge = metrics.split('\n').find((l) => l.startsWith('central_database_clock_offset_seconds{'));
    if (driver === 'pglite') expect(gauge).toBeUndefined();
    else expect(Math.abs(Number(gauge?.split(' ')[1]))).toBeLessThan(0.05);
  });

  it('admits holds in request order while the projection covers them, writing only their attempts', async () => {
    const attempts = createReservationAttemptsRepository(app.db);
    const sku = `SKU-${randomBytes(3).toString('hex')}`;
    const unknownSku = `${sku}-never-seen`;
    await app.db.execute(
      sql`insert into stock (store_id, sku, on_hand, reserved, version, updated_at) values ('s1', ${sku}, 10, 3, 4, now())`,
    );
    const hold = (forSku: string, qty: number, keyed = false, reservationId = newId()) => ({
      reservationId,
      storeId: 's1',
      sku: forSku,
      qty,
      keyed,
    });
    const open = async (ids: readonly string[]) =>
      new Set(
        rowsOf<{ id: string }>(
          await app.db.execute(sql`
            select reservation_id as id from reservation_attempts where store_id = 's1' and settled_at is null
              and reservation_id in (select value::uuid from json_array_elements_text(${JSON.stringify(ids)}::json))`),
        ).map((r) => r.id),
      );
    // Available 7: 5 fits (2 left), 4 does not and takes nothing, 2 fits (0 left), a keyed 1 whose key has
    // no open attempt is judged like the rest (nothing left); a SKU central never saw has nothing. Keys
    // interleave: each is counted on its own.
    const holds = [hold(sku, 5), hold(unknownSku, 1), hold(sku, 4), hold(sku, 2), hold(sku, 1, true)];
    expect(await attempts.admit(holds)).toEqual([
      { admitted: true, available: 2 },
      { admitted: false, available: 0 },
      { admitted: false, available: 2 },
      { admitted: true, available: 0 },
      { admitted: false, available: 0 },
    ]);
    const ids = holds.map((h) => h.reservationId);
    expect(await open(ids)).toEqual(new Set([ids[0], ids[3]]));

    // A keyed retry of an open attempt goes to the store as it is, whatever the projection (which may
    // already count that very hold), and counts nothing off; a new hold beside it is judged as usual.
    expect(await attempts.admit([hold(sku, 9, true, ids[0]), hold(sku, 6)])).toEqual([
      { admitted: true, available: 7 },
      { admitted: true, available: 1 },
    ]);
    // A retry of a settled attempt is judged afresh, and re-opens the same row.
    await attempts.settle([{ reservationId: ids[0]!, storeId: 's1' }]);
    expect((await open([ids[0]!])).size).toBe(0);
    expect(await attempts.admit([hold(sku, 9, true, ids[0])])).toEqual([{ admitted: false, available: 7 }]);
    expect(await attempts.admit([hold(sku, 5, true, ids[0])])).toEqual([{ admitted: true, available: 2 }]);
    expect((await open([ids[0]!])).size).toBe(1);
    const [count] = rowsOf<{ n: number }>(
      await app.db.execute(sql`select count(*)::int as n from reservation_attempts where reservation_id = ${ids[0]!}`),
    );
    expect(count?.n).toBe(1);
  });

  it('lists reservations soonest expiry first, by status, store, SKU and order, page by page (GET /reservations)', async () => {
    const repo = createReservationsRepository(app.db);
    const storeId = `l${randomBytes(3).toString('hex')}`;
    const at = (ms: number) => new Date(Date.UTC(2031, 0, 1, 9, 0, 0, ms));
    const rows = [
      held({ storeId, expiresAt: at(300) }),
      held({ storeId, expiresAt: at(100) }),
      held({ storeId, expiresAt: at(200) }),
    ];
    // Two holds expiring in the same millisecond: the id breaks the tie, so paging neither skips nor repeats.
    const twin = held({ storeId, expiresAt: at(200) });
    await repo.insertHeldMany([...rows, twin]);
    await repo.close(rows[0]!.id, 'confirmed');
    const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
    const list = async (query: string) => {
      const res = await app.inject({ method: 'GET', url: `/reservations?storeId=${storeId}${query}`, headers: viewer });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: Array<{ id: string; status: string }>; nextCursor: string | null };
    };
    const ids = (page: { items: Array<{ id: string }> }) => page.items.map((r) => r.id);
    const sameMs = [rows[2]!.id, twin.id].sort();

    expect(ids(await list(''))).toEqual([rows[1]!.id, ...sameMs]);
    expect(ids(await list('&status=confirmed'))).toEqual([rows[0]!.id]);
    expect(ids(await list(`&sku=${rows[2]!.sku}`))).toEqual([rows[2]!.id]);
    expect(ids(await list(`&orderRef=${twin.orderRef}`))).toEqual([twin.id]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...ids(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([rows[1]!.id, ...sameMs]);

    for (const query of ['&cursor=bm9wZQ', '&cursor=WzEsIngiXQ', '&status=gone', '&limit=0', '&store=x']) {
      const bad = await app.inject({ method: 'GET', url: `/reservations?storeId=${storeId}${query}`, headers: viewer });
      expect(bad.statusCode, query).toBe(400);
      expect(bad.json().code).toBe('VALIDATION');
    }
    expect((await app.inject({ method: 'GET', url: '/reservations' })).statusCode).toBe(401);
  });
});
