import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { CatalogProductSchema, compileValidator, type NatsNames, StoreSkuSettingsSchema } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { ChainHead } from '../db/repositories/ledger-repository';
import type { ProductRepository } from '../db/repositories/product-repository';
import type { StockRepository } from '../db/repositories/stock-repository';
import type { WriteQueue } from '../db/write-queue';

const catalogProduct = compileValidator(CatalogProductSchema);
const skuSettings = compileValidator(StoreSkuSettingsSchema);

type Deps = {
  names: NatsNames;
  storeId: string;
  writes: WriteQueue<ChainHead>;
  products: ProductRepository;
  stock: StockRepository;
  log: FastifyBaseLogger;
};

/**
 * Follows central's catalog bucket and this store's settings bucket. A KV watch first replays the
 * latest value of every key, so a store that was offline catches up on reconnect; then it follows
 * changes live. Deleting a product at central deactivates it (history stays), never a KV delete.
 */
export function startCatalogFollower(nc: NatsConnection, deps: Deps) {
  let stopped = false;
  const stops: Array<() => void> = [];

  async function follow(bucket: string, key: string, apply: (key: string, value: unknown) => void): Promise<void> {
    const kv = await new Kvm(nc).create(bucket);
    const watch = await kv.watch({ key });
    stops.push(() => watch.stop());
    for await (const entry of watch) {
      if (entry.operation !== 'PUT') continue;
      try {
        apply(entry.key, entry.json());
      } catch (error) {
        deps.log.warn({ err: (error as Error).message, key: entry.key }, 'catalog entry ignored');
      }
    }
  }

  async function loop(bucket: string, key: string, apply: (key: string, value: unknown) => void) {
    while (!stopped) {
      try {
        await follow(bucket, key, apply);
      } catch (error) {
        if (!stopped) deps.log.warn({ err: (error as Error).message, bucket }, 'catalog watch failed; watching again');
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  const write = (what: string, job: () => unknown) =>
    deps.writes.submit(job).catch((error: unknown) => deps.log.error({ err: error, what }, 'catalog write failed'));
  // The two buckets are independent streams: a store minimum may arrive before its product.
  const waitingForProduct = new Map<string, { minStock: number | null; updatedAt: string }>();

  const prefix = `${deps.storeId}.`;
  void loop(deps.names.catalogBucket, '>', (_key, value) => {
    const { updatedAt, ...fields } = catalogProduct.parse(value);
    void write(`product ${fields.sku}`, () => {
      deps.products.upsert([fields], updatedAt);
      // Read inside the job: a minimum whose job ran just before this one parked itself here.
      const waiting = waitingForProduct.get(fields.sku);
      if (waiting) deps.stock.setMinStock(fields.sku, waiting.minStock, waiting.updatedAt);
      waitingForProduct.delete(fields.sku);
    });
  });
  void loop(deps.names.storeSettingsBucket, `${prefix}>`, (key, value) => {
    const settings = skuSettings.parse(value);
    const sku = key.slice(prefix.length);
    void write(`min stock ${sku}`, () => {
      if (!deps.stock.setMinStock(sku, settings.minStock, settings.updatedAt)) waitingForProduct.set(sku, settings);
    });
  });

  return {
    stop() {
      stopped = true;
      for (const stop of stops) stop();
    },
  };
}
