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
const MIN_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 30_000;

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

  /** A write failed (a full disk): the watches end, and each loop reads its bucket again after a pause. */
  let writeFailed = false;
  let pauseMs = MIN_PAUSE_MS;

  async function loop(bucket: string, key: string, apply: (key: string, value: unknown) => void) {
    while (!stopped) {
      try {
        await follow(bucket, key, apply);
      } catch (error) {
        if (!stopped) deps.log.warn({ err: (error as Error).message, bucket }, 'catalog watch failed; watching again');
      }
      if (!stopped) await new Promise((r) => setTimeout(r, pauseMs));
      writeFailed = false;
    }
  }

  // A change whose write failed must not be skipped for good: the watch replays every key's latest value.
  const write = (what: string, job: () => unknown) =>
    deps.writes.submit(job).then(
      () => {
        pauseMs = MIN_PAUSE_MS;
      },
      (error: unknown) => {
        if (writeFailed) return;
        writeFailed = true;
        pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS);
        deps.log.error({ err: error, what }, 'catalog write failed; reading the catalog again');
        for (const stop of stops.splice(0)) stop();
      },
    );
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

  // After a reconnect the watches start over, replaying every key's latest value (upserts ignore what
  // they already hold). A server that came back without its storage has a new, empty bucket that
  // central fills again; the client's own resume would wait for sequences that bucket never had.
  void (async () => {
    for await (const status of nc.status()) {
      if (stopped) break;
      if (status.type === 'reconnect') for (const stop of stops.splice(0)) stop();
    }
  })();

  return {
    stop() {
      stopped = true;
      for (const stop of stops) stop();
    },
  };
}
