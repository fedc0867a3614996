import type { StockEvent, StoreCommand } from '@stocksync/shared';
import { readStream } from '@stocksync/shared/testing';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database';
import { createBackend, startCentral } from './helpers/central-harness';
import { publishEvents, type TestNats, testNats } from './helpers/nats-helpers';
import { ScriptedStore } from './helpers/scripted-store';
import { ADMIN_TOKEN, deleteStreams, uniquePrefix, VIEWER_TOKEN, waitFor } from './helpers/test-env';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };

type Transfer = {
  id: string;
  sku: string;
  fromStoreId: string;
  toStoreId: string;
  qty: number;
  status: string;
  shippedQty: number | null;
  receivedQty: number | null;
  cancelledAt: string | null;
};
type Discrepancy = { id: number; kind: string; storeId: string; sku: string; expected: number; actual: number };
type Availability = {
  stores: { storeId: string; onHand: number; inTransit: number }[];
  totals: { onHand: number; reserved: number; available: number; inTransit: number };
};

describe('transfers at central (real PostgreSQL + NATS)', () => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let prefix: string;
  let app: FastifyInstance;
  let t: TestNats;
  const s1 = new ScriptedStore('s1');
  const s2 = new ScriptedStore('s2');
  const s3 = new ScriptedStore('s3');

  const call = async <T>(method: 'GET' | 'POST', url: string, body?: object, headers = admin) => {
    const res = await app.inject({ method, url, headers, ...(body ? { payload: body } : {}) });
    return { status: res.statusCode, body: res.json() as T, headers: res.headers };
  };
  const request = (body: object, headers = admin) => call<Transfer>('POST', '/transfers', body, headers);
  const transfer = async (id: string) => (await call<Transfer>('GET', `/transfers/${id}`, undefined, viewer)).body;
  /** Publishes like the stores' outboxes and waits until central applied the last one. */
  const publish = async (...events: StockEvent[]) => {
    await publishEvents(t, events);
    const lastId = events.at(-1)?.id ?? '';
    await waitFor(
      async () =>
        rowsOf<{ n: number }>(
          await app.db.execute(sql`select count(*)::int as n from ledger where event_id = ${lastId}`),
        )[0]?.n,
      (n) => n === 1,
      { what: 'event applied' },
    );
  };
  const outbox = async (transferId: string) =>
    rowsOf<{ store_id: string; type: string; published: boolean }>(
      await app.db.execute(sql`select store_id, payload->>'type' as type, published_at is not null as published
        from command_outbox where payload->>'transferId' = ${transferId} order by created_at, id`),
    );
  const streamed = async (transferId: string) =>
    (await readStream<StoreCommand>(t.nc, t.names.commandsStream)).filter((c) => c.transferId === transferId);
  const discrepancies = async (query: string) =>
    (await call<{ items: Discrepancy[] }>('GET', `/discrepancies?${query}`, undefined, viewer)).body.items;

  beforeAll(async () => {
    backend = await createBackend('postgres');
    prefix = uniquePrefix();
    t = await testNats(prefix);
    app = await startCentral({ prefix, env: backend.env });
    await publish(s1.receive('A', 20), s1.receive('B', 5), s2.receive('B', 7), s3.receive('C', 1));
  });
  afterAll(async () => {
    await app?.close();
    await t?.nc.close();
    await deleteStreams(prefix);
    await backend?.cleanup();
  });

  it('rejects bad requests with a clear 4xx and records nothing', async () => {
    const ok = { sku: 'A', fromStoreId: 's1', toStoreId: 's2', qty: 3 };
    const cases: [object, number, string][] = [
      [{ ...ok, toStoreId: 's1' }, 400, 'VALIDATION'],
      [{ ...ok, qty: 0 }, 400, 'VALIDATION'],
      [{ ...ok, qty: 1.5 }, 400, 'VALIDATION'],
      [{ ...ok, qty: '3' }, 400, 'VALIDATION'],
      [{ ...ok, extra: true }, 400, 'VALIDATION'],
      [{ sku: 'A', fromStoreId: 's1', qty: 3 }, 400, 'VALIDATION'],
      [{ ...ok, toStoreId: 'nowhere' }, 404, 'NOT_FOUND'],
      [{ ...ok, fromStoreId: 'nowhere' }, 404, 'NOT_FOUND'],
      [{ ...ok, sku: 'C' }, 404, 'NOT_FOUND'],
    ];
    for (const [body, status, code] of cases) {
      const res = await request(body);
      expect([res.status, (res.body as unknown as { code: string }).code], JSON.stringify(body)).toEqual([
        status,
        code,
      ]);
    }
    expect((await request(ok, viewer)).status).toBe(403);
    expect((await request(ok, {} as typeof admin)).status).toBe(401);
    const [counts] = rowsOf<{ transfers: number; commands: number }>(
      await app.db.execute(sql`select (select count(*)::int from transfers) as transfers,
        (select count(*)::int from command_outbox) as commands`),
    );
    expect(counts).toEqual({ transfers: 0, commands: 0 });
    expect((await call('GET', '/transfers/00000000-0000-7000-8000-000000000000', undefined, viewer)).status).toBe(404);
  });

  it('request → commands to both stores on the stream → shipped → in transit → received short', async () => {
    const created = await request({ sku: 'A', fromStoreId: 's1', toStoreId: 's2', qty: 6 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'requested', qty: 6, shippedQty: null, receivedQty: null });
    const { id } = created.body;
    await waitFor(
      () => outbox(id),
      (rows) => rows.length === 2 && rows.every((r) => r.published),
      { what: 'requested commands published' },
    );
    const commands = await streamed(id);
    expect(commands.map((c) => c.type)).toEqual(['transfer.requested', 'transfer.requested']);
    for (const storeId of ['s1', 's2']) {
      const last = await t.jsm.streams.getMessage(t.names.commandsStream, {
        last_by_subj: t.names.commandsSubject(storeId),
      });
      expect(last?.json<StoreCommand>()).toMatchObject({ type: 'transfer.requested', transferId: id, qty: 6 });
    }

    await publish(s1.ship(id, 'A', 6));
    expect(await transfer(id)).toMatchObject({ status: 'in_transit', shippedQty: 6 });
    expect((await call('POST', `/transfers/${id}/cancel`)).body).toMatchObject({ statusCode: 409, code: 'CONFLICT' });
    await waitFor(
      () => streamed(id),
      (cs) => cs.length === 3,
      { what: 'in_transit command' },
    );
    const inTransit = (await outbox(id)).at(-1);
    expect(inTransit).toMatchObject({ store_id: 's2', type: 'transfer.in_transit', published: true });

    const availability = (await call<Availability>('GET', '/products/A/availability', undefined, viewer)).body;
    expect(availability.totals).toEqual({ onHand: 14, reserved: 0, available: 14, inTransit: 6 });
    expect(availability.stores).toEqual([
      expect.objectContaining({ storeId: 's1', onHand: 14, inTransit: 0 }),
      expect.objectContaining({ storeId: 's2', onHand: 0, inTransit: 6 }),
    ]);

    const arrival = s2.arrive(id, 'A', 4);
    await publish(arrival);
    expect(await transfer(id)).toMatchObject({ status: 'received', shippedQty: 6, receivedQty: 4 });
    const short = await discrepancies('kind=transfer_short&open=true');
    expect(short).toEqual([
      expect.objectContaining({ kind: 'transfer_short', storeId: 's2', sku: 'A', expected: 6, actual: 4, ref: id }),
    ]);
    const after = (await call<Availability>('GET', '/products/A/availability', undefined, viewer)).body;
    expect(after.totals).toMatchObject({ onHand: 18, inTransit: 0 });
    // The source hears what arrived, so its own view of the transfer closes too.
    expect((await outbox(id)).at(-1)).toMatchObject({ store_id: 's1', type: 'transfer.received' });

    // A late copy of the receipt (new msgID) is a duplicate: no second discrepancy, no new command.
    await publishEvents(t, [arrival], { msgId: () => `${arrival.id}-again` });
    await publish(s3.receive('C', 1));
    expect(await discrepancies('kind=transfer_short')).toHaveLength(1);
    expect(await outbox(id)).toHaveLength(4);
  });

  it('cancels only while requested; repeating a cancel returns it; both stores are told', async () => {
    const { body: created } = await request({ sku: 'B', fromStoreId: 's2', toStoreId: 's3', qty: 2 });
    const first = await call<Transfer>('POST', `/transfers/${created.id}/cancel`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'cancelled' });
    const again = await call<Transfer>('POST', `/transfers/${created.id}/cancel`);
    expect(again).toMatchObject({ status: 200, body: first.body });
    expect((await call('POST', `/transfers/${created.id}/cancel`, undefined, viewer)).status).toBe(403);
    expect((await call('POST', '/transfers/00000000-0000-7000-8000-000000000000/cancel')).status).toBe(404);
    await waitFor(
      () => outbox(created.id),
      (rows) => rows.length === 4 && rows.every((r) => r.published),
      { what: 'cancel commands published' },
    );
    const cancels = (await streamed(created.id)).filter((c) => c.type === 'transfer.cancelled');
    expect(cancels).toHaveLength(2);
    expect((await outbox(created.id)).slice(2).map((r) => r.store_id)).toEqual(['s2', 's3']);
  });

  it('a shipment that raced a cancel (store offline) still goes in transit and opens a conflict', async () => {
    const { body: created } = await request({ sku: 'B', fromStoreId: 's1', toStoreId: 's3', qty: 3 });
    await call('POST', `/transfers/${created.id}/cancel`);
    await publish(s1.ship(created.id, 'B', 3));
    expect(await transfer(created.id)).toMatchObject({ status: 'in_transit', shippedQty: 3 });
    expect((await transfer(created.id)).cancelledAt).not.toBeNull();
    const conflicts = await discrepancies('kind=transfer_conflict&storeId=s1');
    expect(conflicts).toEqual([
      expect.objectContaining({ storeId: 's1', sku: 'B', expected: 0, actual: 3, ref: created.id }),
    ]);
    expect((await outbox(created.id)).map((r) => `${r.store_id}:${r.type}`)).toEqual([
      's1:transfer.requested',
      's3:transfer.requested',
      's1:transfer.cancelled',
      's3:transfer.cancelled',
      's3:transfer.in_transit',
    ]);
    const b = (await call<Availability>('GET', '/products/B/availability', undefined, viewer)).body;
    expect(b.totals).toMatchObject({ onHand: 9, inTransit: 3 });
  });

  it('honours Idempotency-Key on create: same answer for a retry, 409 for another body', async () => {
    const body = { sku: 'A', fromStoreId: 's1', toStoreId: 's3', qty: 1 };
    const headers = { ...admin, 'idempotency-key': 'order-77' };
    const first = await request(body, headers);
    const retry = await request(body, headers);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect((await outbox(first.body.id)).length).toBe(2);
    const other = await request({ ...body, qty: 2 }, headers);
    expect(other).toMatchObject({ status: 409, body: { code: 'IDEMPOTENCY_MISMATCH' } });
  });

  it('lists with filters and keyset pages; resolves discrepancies (admin)', async () => {
    const all = (await call<{ items: Transfer[] }>('GET', '/transfers?limit=500', undefined, viewer)).body.items;
    expect(all).toHaveLength(4);
    const pages: Transfer[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Transfer[]; nextCursor: string | null } } = await call(
        'GET',
        `/transfers?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        viewer,
      );
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      pages.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.id)).toEqual(all.map((p) => p.id));
    const list = async (q: string) =>
      (await call<{ items: Transfer[] }>('GET', `/transfers?${q}`, undefined, viewer)).body.items;
    expect((await list('status=received')).map((x) => x.sku)).toEqual(['A']);
    expect((await list('storeId=s3')).every((x) => x.fromStoreId === 's3' || x.toStoreId === 's3')).toBe(true);
    expect(await list('storeId=s3')).toHaveLength(3);
    expect((await list('sku=B&status=cancelled')).map((x) => x.fromStoreId)).toEqual(['s2']);
    expect((await call('GET', '/transfers?status=lost', undefined, viewer)).status).toBe(400);
    const forged = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'not-a-uuid'])).toString('base64url');
    for (const bad of ['garbage', forged]) {
      expect((await call('GET', `/transfers?cursor=${bad}`, undefined, viewer)).status).toBe(400);
    }

    const [open] = await discrepancies('kind=transfer_short');
    if (!open) throw new Error('expected a discrepancy');
    expect((await call('POST', `/discrepancies/${open.id}/resolve`, { resolution: 'x' }, viewer)).status).toBe(403);
    expect((await call('POST', `/discrepancies/${open.id}/resolve`, {})).status).toBe(400);
    expect((await call('POST', '/discrepancies/999999/resolve', { resolution: 'x' })).status).toBe(404);
    const resolved = await call('POST', `/discrepancies/${open.id}/resolve`, { resolution: 'carrier claim filed' });
    expect(resolved.body).toMatchObject({ resolution: 'carrier claim filed', resolvedAt: expect.any(String) });
    const again = await call('POST', `/discrepancies/${open.id}/resolve`, { resolution: 'other' });
    expect(again.body).toEqual(resolved.body);
    expect(await discrepancies('kind=transfer_short&open=true')).toEqual([]);
    expect(await discrepancies('open=false')).toHaveLength(1);
  });

  it('a shipment naming no known transfer is recorded, not applied to any transfer', async () => {
    const ghost = '00000000-0000-7000-8000-00000000abcd';
    await publish(s1.ship(ghost, 'A', 1));
    expect(await discrepancies('kind=transfer_conflict&storeId=s1')).toEqual([
      expect.objectContaining({ ref: ghost, actual: 1 }),
      expect.objectContaining({ actual: 3 }),
    ]);
  });
});
