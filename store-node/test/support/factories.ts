import type { FastifyInstance } from 'fastify';
import type { ProductInput } from '../../src/db/repositories/product-repository';

let counter = 0;
export const uniqueSku = (prefix = 'SKU') => `${prefix}-${process.pid}-${++counter}`;

export function productInput(sku: string, overrides: Partial<ProductInput> = {}): ProductInput {
  return { sku, name: `Product ${sku}`, price: '9.99', category: 'test', defaultMinStock: 0, ...overrides };
}

/** Loads products into the store's catalog and receives the given opening stock for each. */
export async function seedStock(
  app: FastifyInstance,
  items: ReadonlyArray<{ sku: string; onHand: number; product?: Partial<ProductInput> }>,
): Promise<void> {
  const now = new Date(app.clock.now()).toISOString();
  await app.writes.submit(() =>
    app.repos.products.upsert(
      items.map((i) => productInput(i.sku, i.product)),
      now,
    ),
  );
  const lines = items.filter((i) => i.onHand > 0).map((i) => ({ sku: i.sku, qty: i.onHand }));
  if (lines.length > 0) await app.writes.submit(() => app.inventory.receive(lines, 'opening-stock'));
}
