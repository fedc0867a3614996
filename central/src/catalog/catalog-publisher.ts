import { jetstream } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type CatalogProduct, type StoreSkuSettings, storeSettingsKey } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database';
import { createProductsRepository, type ProductRow } from '../db/products-repository';
import { type PublishVersions, productPublishVersions, settingsPublishVersions } from '../db/publish-versions';
import { createStoreSettingsRepository, type StoreSkuSettingsRow } from '../db/store-settings-repository';
import type { NatsLink } from '../sync/nats-link';
import { normalizePrice } from './price';

export type CatalogPublisherOptions = {
  db: Database;
  nats: NatsLink;
  log: FastifyBaseLogger;
  /** Retry period for rows whose latest version is not in the buckets yet. */
  intervalMs: number;
  /** Bounds a put (and so the row locks held meanwhile) when NATS stops answering. */
  putTimeoutMs: number;
  batchSize?: number;
};

export function catalogProductMessage(row: ProductRow): CatalogProduct {
  return {
    sku: row.sku,
    name: row.name,
    description: row.description,
    category: row.category,
    price: normalizePrice(row.price),
    defaultMinStock: row.defaultMinStock,
    active: row.active,
    updatedAt: row.updatedAt.toISOString(),
  };
}

const settingsMessage = (row: StoreSkuSettingsRow): StoreSkuSettings => ({
  minStock: row.minStock,
  updatedAt: row.updatedAt.toISOString(),
});

/**
 * Pushes the catalog and per-store settings from PostgreSQL (the record) to the KV buckets stores
 * follow. Every row carries version and published_version; a pass publishes the rows that are ahead,
 * under their row locks, and then records the published version. A write calls flush() right after
 * its commit; the timer retries whatever that missed (NATS down, a crash between commit and publish,
 * another replica's write), so every change reaches the buckets eventually and never out of order.
 */
export class CatalogPublisher {
  /** Bound to the connection they were opened on; a new connection opens them again. */
  private buckets: { nc: NatsConnection; catalog: KV; settings: KV } | undefined;
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private offUp: (() => void) | undefined;
  private stopped = false;
  private readonly batchSize: number;

  constructor(private readonly opts: CatalogPublisherOptions) {
    this.batchSize = opts.batchSize ?? 200;
  }

  start(): void {
    // NATS back (or up for the first time): publish what was written meanwhile without waiting for the
    // timer, and open the buckets again: a server that came back without its storage lost them.
    this.offUp = this.opts.nats.onUp(() => {
      this.buckets = undefined;
      void this.flush();
    });
    const tick = () => {
      void this.flush().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.opts.intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offUp?.();
    if (this.timer) clearTimeout(this.timer);
    await this.tail;
  }

  /** One publishing pass after any pass already running; concurrent callers share the queued pass. */
  flush(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.tail.then(async () => {
      this.queued = undefined;
      // While NATS is down a pass would only hold row locks until its puts time out: skip it.
      const nc = this.opts.nats.clients?.nc;
      if (this.stopped || !nc) return;
      try {
        await this.pass(nc);
      } catch (error) {
        this.buckets = undefined;
        this.opts.log.warn({ err: (error as Error).message }, 'catalog publish failed; will retry');
      }
    });
    this.queued = next;
    this.tail = next;
    return next;
  }

  /**
   * Creates both buckets if missing (default options, as the stores open them), and publishes every
   * row again into a bucket that holds fewer keys than were ever published to it.
   */
  private async open(nc: NatsConnection): Promise<{ catalog: KV; settings: KV }> {
    if (this.buckets?.nc === nc) return this.buckets;
    const kvm = new Kvm(jetstream(nc, { timeout: this.opts.putTimeoutMs }));
    const { names } = this.opts.nats;
    const catalog = await kvm.create(names.catalogBucket);
    const settings = await kvm.create(names.storeSettingsBucket);
    await this.republishIfLost(catalog, productPublishVersions(this.opts.db));
    await this.republishIfLost(settings, settingsPublishVersions(this.opts.db));
    this.buckets = { nc, catalog, settings };
    return this.buckets;
  }

  /**
   * NATS restarted without its JetStream storage, or the bucket was deleted: its keys are gone while
   * PostgreSQL says they were published, so stores (and any store set up later) would never get them.
   * Counted before the bucket is read: a key counted as published is already in an intact bucket.
   */
  private async republishIfLost(bucket: KV, versions: PublishVersions): Promise<void> {
    const published = await versions.publishedCount();
    const status = await bucket.status();
    if (status.values >= published) return;
    const rows = await versions.republishAll();
    this.opts.log.warn(
      { bucket: status.bucket, keys: status.values, published, republishing: rows },
      'catalog bucket lost keys (NATS storage lost?): publishing every row again',
    );
  }

  private async pass(nc: NatsConnection): Promise<void> {
    const { catalog, settings } = await this.open(nc);
    const { db, log } = this.opts;
    // Each batch is its own transaction; stop at the first batch that could not publish everything.
    for (let more = true; more; ) {
      more = await db.transaction(async (tx) => {
        const repo = createProductsRepository(tx);
        const rows = await repo.lockUnpublished(this.batchSize);
        const done = await this.put(rows, (r) => catalog.put(r.sku, JSON.stringify(catalogProductMessage(r))));
        await repo.markPublished(done);
        if (done.length > 0) log.debug({ products: done.length }, 'catalog published');
        return rows.length === this.batchSize && done.length === rows.length;
      });
    }
    for (let more = true; more; ) {
      more = await db.transaction(async (tx) => {
        const repo = createStoreSettingsRepository(tx);
        const rows = await repo.lockUnpublished(this.batchSize);
        const done = await this.put(rows, (r) =>
          settings.put(storeSettingsKey(r.storeId, r.sku), JSON.stringify(settingsMessage(r))),
        );
        await repo.markPublished(done);
        return rows.length === this.batchSize && done.length === rows.length;
      });
    }
  }

  /** Pipelined puts; returns the rows the server acknowledged. */
  private async put<R extends { version: number }>(rows: readonly R[], put: (row: R) => Promise<number>) {
    const results = await Promise.allSettled(rows.map(put));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    if (failed.length > 0) {
      this.opts.log.warn({ failed: failed.length, err: failed[0] }, 'catalog puts failed');
      // e.g. the bucket's stream is gone: the next pass opens (creates) it again.
      this.buckets = undefined;
    }
    return rows.filter((_, i) => results[i]?.status === 'fulfilled');
  }
}
