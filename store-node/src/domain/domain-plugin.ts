import { DomainError, ErrorCode } from '@stocksync/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram } from 'prom-client';
import { createDiscrepancyRepository } from '../db/repositories/discrepancy-repository';
import { createIdempotencyRepository } from '../db/repositories/idempotency-repository';
import { type ChainHead, createLedgerRepository } from '../db/repositories/ledger-repository';
import { createOutboxRepository } from '../db/repositories/outbox-repository';
import { createProductRepository } from '../db/repositories/product-repository';
import { createReservationRepository } from '../db/repositories/reservation-repository';
import { createStockRepository } from '../db/repositories/stock-repository';
import { createTransferRepository } from '../db/repositories/transfer-repository';
import { createStorageProbe, readStorageStatus, type StorageStatus } from '../db/storage-status';
import { WriteQueue } from '../db/write-queue';
import { type Clock, systemClock } from './clock';
import { createIdempotencyService } from './idempotency-service';
import { createInventoryService } from './inventory-service';
import { createReservationService } from './reservation-service';
import { createTransferService } from './transfer-service';

function createDomain(app: FastifyInstance, clock: Clock) {
  const now = () => clock.now();
  const repos = {
    products: createProductRepository(app.db),
    stock: createStockRepository(app.db),
    ledger: createLedgerRepository(app.db, app.config.STORE_ID, now),
    reservations: createReservationRepository(app.db),
    idempotency: createIdempotencyRepository(app.db),
    discrepancies: createDiscrepancyRepository(app.db),
    outbox: createOutboxRepository(app.db),
    transfers: createTransferRepository(app.db),
  };
  return {
    repos,
    inventory: createInventoryService({ ...repos, now }),
    reservations: createReservationService({ ...repos, now }),
    idempotency: createIdempotencyService(repos.idempotency, now),
    transfers: createTransferService({ ...repos, storeId: app.config.STORE_ID, now }),
  };
}
type Domain = ReturnType<typeof createDomain>;

declare module 'fastify' {
  interface FastifyInstance {
    clock: Clock;
    writes: WriteQueue<ChainHead>;
    repos: Domain['repos'];
    inventory: Domain['inventory'];
    reservations: Domain['reservations'];
    idempotency: Domain['idempotency'];
    transfers: Domain['transfers'];
    storeMetrics: { salesTotal: Counter; saleLinesTotal: Counter };
    /** The data disk now: whether writes fail for want of space, and how much is left. */
    storage: () => StorageStatus;
  }
}

export type DomainOptions = { clock?: Clock | undefined };

const PRUNE_EVERY_MS = 60_000;

/** Repositories and services over the store's SQLite, the group-commit queue and the background sweeps. */
export const domainPlugin = fp<DomainOptions>(
  async (app: FastifyInstance, opts) => {
    const clock = opts.clock ?? systemClock;
    const domain = createDomain(app, clock);
    const batchSize = new Histogram({
      name: 'store_write_batch_size',
      help: 'Writes sharing one group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [app.metrics],
    });
    const commitSeconds = new Histogram({
      name: 'store_write_batch_seconds',
      help: 'Time to run and commit one group of writes',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers: [app.metrics],
    });
    // A store PC's disk that stalls (a worn SSD, a cheap SD card, a host flushing its cache) shows here
    // before it shows as slow sales: every durable answer waits for one of these.
    const fsyncSeconds = new Histogram({
      name: 'store_wal_fsync_seconds',
      help: 'Time for one fsync of the WAL (one per group commit that wrote something)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [app.metrics],
    });
    const writes = new WriteQueue(app.sqlite, domain.repos.ledger.chain, {
      maxBatch: app.config.WRITE_BATCH_MAX,
      walFile: app.walFileToSync,
      onFatal: (err) => {
        app.log.fatal({ err }, 'fsync of the WAL failed; stopping so SQLite recovers from what is on disk');
        setImmediate(() => {
          throw err;
        });
      },
      onSync: (ms) => fsyncSeconds.observe(ms / 1000),
      onFlush: ({ batchSize: size, commitMs }) => {
        batchSize.observe(size);
        commitSeconds.observe(commitMs / 1000);
      },
    });
    new Counter({
      name: 'store_wal_fsyncs_total',
      help: 'fsyncs of the WAL (one per group commit that wrote something)',
      registers: [app.metrics],
      collect() {
        this.reset();
        this.inc(writes.fsyncs);
      },
    });
    const salesTotal = new Counter({ name: 'store_sales_total', help: 'Sales recorded', registers: [app.metrics] });
    const saleLinesTotal = new Counter({
      name: 'store_sale_lines_total',
      help: 'Sale lines',
      registers: [app.metrics],
    });
    new Gauge({
      name: 'store_outbox_pending',
      help: 'Events not yet acknowledged by JetStream',
      registers: [app.metrics],
      collect() {
        this.set(domain.repos.outbox.stats(clock.now()).pending);
      },
    });
    new Gauge({
      name: 'store_ledger_last_seq',
      help: 'Last ledger seq',
      registers: [app.metrics],
      collect() {
        this.set(domain.repos.ledger.lastSeq());
      },
    });
    writes.onStorageChange((full) => {
      if (full)
        app.log.error('the data disk is full: stock changes are refused (507 STORAGE_FULL) until space is freed');
      else app.log.warn('the data disk has room again: stock changes are accepted');
    });
    const storage = () => readStorageStatus(app.config.DATA_DIR, writes);
    const storageProbe = createStorageProbe(app.sqlite, () => clock.now());
    new Gauge({
      name: 'store_storage_full',
      help: '1 while stock changes fail for a full disk (507 STORAGE_FULL), else 0',
      registers: [app.metrics],
      collect() {
        this.set(writes.storageFull ? 1 : 0);
      },
    });
    new Gauge({
      name: 'store_disk_free_bytes',
      help: "Free bytes on the data directory's file system (absent where the file system cannot say)",
      // A label, so the series is absent until known: a label-less gauge would read 0, "disk full".
      labelNames: ['volume'],
      registers: [app.metrics],
      collect() {
        const { freeBytes } = storage();
        this.reset();
        if (freeBytes !== null) this.set({ volume: 'data' }, freeBytes);
      },
    });
    new Gauge({
      name: 'store_behind_central',
      help: '1 while central holds more of this store than its file (restored backup): stock changes refused',
      registers: [app.metrics],
      collect() {
        this.set(domain.repos.ledger.haltedBecause() ? 1 : 0);
      },
    });

    app.decorate('clock', clock);
    app.decorate('writes', writes);
    app.decorate('repos', domain.repos);
    app.decorate('inventory', domain.inventory);
    app.decorate('reservations', domain.reservations);
    app.decorate('idempotency', domain.idempotency);
    app.decorate('transfers', domain.transfers);
    app.decorate('storeMetrics', { salesTotal, saleLinesTotal });
    app.decorate('storage', storage);

    // Hold expiry needs the sweep's resolution; retention (hours) does not: pruning runs once a minute.
    let nextPruneAt = 0;
    const sweep = async () => {
      try {
        // Checked before the rest: it is what tells whether the rest can write at all.
        if (writes.storageFull && storageProbe.worthTrying(storage())) await writes.submit(storageProbe.write);
        // Checked outside the write queue: an idle store opens no transaction and fsyncs nothing.
        // Behind central, expiring would seal events too: the holds wait for the recovery.
        if (!domain.repos.ledger.haltedBecause() && domain.reservations.anyDue()) {
          while ((await writes.submit(() => domain.reservations.expireDue(500))) === 500) {}
        }
        if (clock.now() < nextPruneAt) return;
        nextPruneAt = clock.now() + PRUNE_EVERY_MS;
        const ttlMs = app.config.IDEMPOTENCY_TTL_HOURS * 3_600_000;
        await writes.submit(() => domain.repos.idempotency.pruneOlderThan(clock.now() - ttlMs));
        const keepMs = app.config.OUTBOX_RETENTION_HOURS * 3_600_000;
        const prune = () => domain.repos.outbox.prunePublished(clock.now() - keepMs, 5_000);
        while ((await writes.submit(prune)) === 5_000) {}
      } catch (err) {
        // A full disk is logged once when writes start failing; the sweep retries each tick regardless.
        if (err instanceof DomainError && err.code === ErrorCode.STORAGE_FULL) return;
        app.log.error({ err }, 'store sweep (hold expiry, retention) failed');
      }
    };
    const timer = setInterval(sweep, app.config.RESERVATION_SWEEP_MS);
    timer.unref();
    app.addHook('onReady', sweep);
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await writes.drain();
    });
  },
  { name: 'domain', dependencies: ['config', 'db', 'observability'] },
);
