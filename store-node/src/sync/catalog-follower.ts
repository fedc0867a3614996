import { type KV, Kvm } from '@nats-io/kv';
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
  /** Each running watch, with when its bucket's stream was created. */
  const watches: Array<{ kv: KV; created: string; stop: () => void }> = [];
  const stopAll = () => {
    for (const watch of watches.splice(0)) watch.stop();
  };

  async function follow(bucket: string, key: string, apply: (key: string, value: unknown) => void): Promise<void> {
    const kv = await new Kvm(nc).create(bucket);
    const { streamInfo } = await kv.status();
    const watch = await kv.watch({ key });
    const running = { kv, created: streamInfo.created, stop: () => watch.stop() };
    watches.push(running);
    try {
      for await (const entry of watch) {
        if (entry.operation !== 'PUT') continue;
        try {
          apply(entry.key, entry.json());
        } catch (error) {
          deps.log.warn({ err: (error as Error).message, key: entry.key }, 'catalog entry ignored');
        }
      }
    } finally {
      const index = watches.indexOf(running);
      if (index >= 0) watches.splice(index, 1);
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
        stopAll();
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

  // A server that came back without its storage has a new, empty bucket that central fills again, and
  // the client's own resume would wait for sequences that bucket never had: after a reconnect, a watch
  // whose bucket was created again (or is missing) starts over. Others resume by themselves, sparing
  // a replay of the whole catalog on every flaky link.
  void (async () => {
    for await (const status of nc.status()) {
      if (stopped) break;
      if (status.type !== 'reconnect') continue;
      for (const watch of [...watches]) {
        void watch.kv.status().then(
          ({ streamInfo }) => streamInfo.created !== watch.created && restart(watch),
          () => restart(watch),
        );
      }
    }
  })();
  function restart(watch: (typeof watches)[number]) {
    if (!watches.includes(watch)) return;
    deps.log.warn('catalog bucket created again (NATS storage lost?): reading it from the start');
    watch.stop();
  }

  return {
    stop() {
      stopped = true;
      stopAll();
    },
  };
}
