import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStock } from './support/factories';
import { createTestStore, type TestStore, TOKEN } from './support/test-store';

const PREVIOUS = 'previous-store-token';

/** The retiring-token counter's value, read from /metrics like Prometheus would. */
async function retiringUses(store: TestStore): Promise<number | undefined> {
  const text = (await store.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith('http_retiring_token_requests_total{'));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('rotating the POS token: terminals with the previous one keep selling until they are moved', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore({ env: { STORE_TOKEN_PREVIOUS: PREVIOUS } });
  });
  afterAll(() => store?.close());

  const receipt = (token: string, key: string) =>
    store.app.inject({
      method: 'POST',
      url: '/receipts',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
      payload: { lines: [{ sku: 'SKU-1', qty: 1 }] },
    });

  it('accepts both tokens for the same writes, counts only the previous one, and nothing else gets in', async () => {
    await seedStock(store.app, [{ sku: 'SKU-1', onHand: 0 }]);
    expect(await retiringUses(store)).toBe(0);

    expect((await receipt(TOKEN, 'rot-1')).statusCode).toBe(201);
    expect((await receipt(PREVIOUS, 'rot-2')).statusCode).toBe(201);
    expect((await receipt('never-issued-token', 'rot-3')).statusCode).toBe(401);
    const stock = await store.app.inject({
      method: 'GET',
      url: '/stock/SKU-1',
      headers: { authorization: `Bearer ${PREVIOUS}` },
    });
    expect(stock.json()).toMatchObject({ onHand: 2 });

    expect(await retiringUses(store)).toBe(2);
  });

  it('has no retiring-token series when no previous token is set', async () => {
    const plain = await createTestStore();
    try {
      expect(await retiringUses(plain)).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});
