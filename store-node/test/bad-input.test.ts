import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStock } from './support/factories';
import { snapshotState } from './support/invariants';
import { createTestStore, type TestStore } from './support/test-store';

const SKU = 'BAD-INPUT-1';
const HOLD_ID = '01890a5d-ac96-774b-bcce-b302099a8057';

type Case = [name: string, method: 'POST' | 'GET', url: string, payload: unknown, status: number, code: string];
const cases: Case[] = [
  ['unknown field', 'POST', '/sales', { lines: [{ sku: SKU, qty: 1 }], discount: 5 }, 400, 'VALIDATION'],
  ['unknown line field', 'POST', '/sales', { lines: [{ sku: SKU, qty: 1, price: 1 }] }, 400, 'VALIDATION'],
  ['zero quantity', 'POST', '/sales', { lines: [{ sku: SKU, qty: 0 }] }, 400, 'VALIDATION'],
  ['negative quantity', 'POST', '/sales', { lines: [{ sku: SKU, qty: -3 }] }, 400, 'VALIDATION'],
  ['fractional quantity', 'POST', '/sales', { lines: [{ sku: SKU, qty: 1.5 }] }, 400, 'VALIDATION'],
  ['huge quantity', 'POST', '/receipts', { lines: [{ sku: SKU, qty: 1e12 }] }, 400, 'VALIDATION'],
  ['quantity as string', 'POST', '/sales', { lines: [{ sku: SKU, qty: '1' }] }, 400, 'VALIDATION'],
  ['no lines', 'POST', '/sales', { lines: [] }, 400, 'VALIDATION'],
  ['missing body', 'POST', '/sales', undefined, 400, 'VALIDATION'],
  ['array body', 'POST', '/returns', [{ sku: SKU, qty: 1 }], 400, 'VALIDATION'],
  ['sku with spaces', 'POST', '/sales', { lines: [{ sku: 'a b', qty: 1 }] }, 400, 'VALIDATION'],
  ['unknown sku', 'POST', '/receipts', { lines: [{ sku: 'NEVER-HEARD', qty: 1 }] }, 404, 'NOT_FOUND'],
  [
    'unknown sku among known',
    'POST',
    '/sales',
    {
      lines: [
        { sku: SKU, qty: 1 },
        { sku: 'NEVER', qty: 1 },
      ],
    },
    404,
    'NOT_FOUND',
  ],
  ['oversell', 'POST', '/sales', { lines: [{ sku: SKU, qty: 6 }] }, 409, 'INSUFFICIENT_STOCK'],
  ['adjust without reason', 'POST', '/adjustments', { sku: SKU, delta: -1 }, 400, 'VALIDATION'],
  [
    'adjust both delta and count',
    'POST',
    '/adjustments',
    { sku: SKU, delta: 1, countedOnHand: 3, reason: 'x' },
    400,
    'VALIDATION',
  ],
  ['adjust by zero', 'POST', '/adjustments', { sku: SKU, delta: 0, reason: 'x' }, 400, 'VALIDATION'],
  ['negative count', 'POST', '/adjustments', { sku: SKU, countedOnHand: -1, reason: 'x' }, 400, 'VALIDATION'],
  ['adjust below zero', 'POST', '/adjustments', { sku: SKU, delta: -6, reason: 'damaged' }, 409, 'INSUFFICIENT_STOCK'],
  ['hold without ttl', 'POST', '/reservations', { sku: SKU, qty: 1 }, 400, 'VALIDATION'],
  ['hold ttl zero', 'POST', '/reservations', { sku: SKU, qty: 1, ttlSeconds: 0 }, 400, 'VALIDATION'],
  ['hold too much', 'POST', '/reservations', { sku: SKU, qty: 6, ttlSeconds: 60 }, 409, 'INSUFFICIENT_STOCK'],
  ['confirm unknown hold', 'POST', `/reservations/${HOLD_ID}/confirm`, undefined, 404, 'NOT_FOUND'],
  ['confirm bad id', 'POST', '/reservations/42/confirm', undefined, 400, 'VALIDATION'],
  ['stock query unknown param', 'GET', '/stock?foo=1', undefined, 400, 'VALIDATION'],
  ['stock limit too big', 'GET', '/stock?limit=100000', undefined, 400, 'VALIDATION'],
  ['unknown route', 'GET', '/nope', undefined, 404, 'NOT_FOUND'],
];

describe('bad input gets a clear 4xx and changes nothing (DESIGN §8.7)', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
    await seedStock(store.app, [{ sku: SKU, onHand: 5 }]);
  });
  afterAll(async () => {
    await store.close();
  });

  it.each(cases)('%s: %s %s → %i %s', async (_name, method, url, payload, status, code) => {
    const before = snapshotState(store.app.sqlite);
    const res = await store.request({
      method,
      url,
      ...(payload !== undefined ? { payload: payload as object } : {}),
      ...(method === 'POST' && payload === undefined ? { headers: { 'content-type': 'application/json' } } : {}),
    });
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(body).toMatchObject({ statusCode: status, code });
    expect(typeof body.message).toBe('string');
    expect(body.message.length).toBeGreaterThan(0);
    expect(snapshotState(store.app.sqlite)).toBe(before);
  });

  it('malformed JSON and an oversized body are refused without effect', async () => {
    const before = snapshotState(store.app.sqlite);
    const broken = await store.request({
      method: 'POST',
      url: '/sales',
      headers: { 'content-type': 'application/json' },
      payload: '{"lines": [',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().code).toBe('VALIDATION');
    const lines = Array.from({ length: 20_000 }, () => ({ sku: SKU, qty: 1 }));
    const huge = await store.request({ method: 'POST', url: '/sales', payload: { lines } });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('PAYLOAD_TOO_LARGE');
    expect(snapshotState(store.app.sqlite)).toBe(before);
  });

  it('401 without or with a wrong token; health and metrics are public', async () => {
    const none = await store.app.inject({ method: 'GET', url: '/stock' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('UNAUTHORIZED');
    const wrong = await store.app.inject({
      method: 'POST',
      url: '/sales',
      headers: { authorization: 'Bearer nope' },
      payload: { lines: [{ sku: SKU, qty: 1 }] },
    });
    expect(wrong.statusCode).toBe(401);
    expect((await store.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await store.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });
});
