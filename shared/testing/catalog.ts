import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type CatalogProduct, natsNames } from '../src/index';

/** Puts a product in the catalog bucket stores follow (what central's catalog publisher does). */
export async function publishProduct(
  nc: NatsConnection,
  prefix: string,
  sku: string,
  fields: Partial<Omit<CatalogProduct, 'sku'>> = {},
): Promise<CatalogProduct> {
  const kv = await new Kvm(nc).create(natsNames(prefix).catalogBucket);
  const product: CatalogProduct = {
    sku,
    name: sku,
    description: '',
    category: 'test',
    price: '1.00',
    defaultMinStock: 0,
    active: true,
    updatedAt: new Date().toISOString(),
    ...fields,
  };
  await kv.put(sku, JSON.stringify(product));
  return product;
}
