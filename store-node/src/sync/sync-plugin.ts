import { natsNames } from '@stocksync/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { type BehindCentral, createBehindCentralGuard } from './behind-central-guard';
import { startCatalogFollower } from './catalog-follower';
import { createClockOffset } from './clock-offset';
import { startCommandConsumer } from './command-consumer';
import { NatsLink } from './nats-link';
import { storeNatsOptions } from './nats-options';
import { OutboxPublisher } from './outbox-publisher';
import { startReserveResponder } from './reserve-responder';
import { startStoreResponder } from './store-responder';

export type SyncLinkStatus = {
  online: boolean;
  lastPublishedAt: string | null;
  behindCentral: BehindCentral | null;
  /** This store's clock minus central's (null: not measured yet, or running standalone). */
  clockOffsetMs: number | null;
};

declare module 'fastify' {
  interface FastifyInstance {
    syncLink: { status(): SyncLinkStatus };
  }
}

/**
 * Store ↔ NATS: the outbox publisher, the gap-repair/state and reservation responders, the command
 * consumer, the catalog follower and heartbeats. With SYNC_ENABLED=false the store runs standalone
 * and reports itself offline.
 */
export const syncPlugin = fp(
  async (app: FastifyInstance) => {
    if (!app.config.SYNC_ENABLED) {
      app.decorate('syncLink', {
        status: () => ({ online: false, lastPublishedAt: null, behindCentral: null, clockOffsetMs: null }),
      });
      return;
    }
    const names = natsNames(app.config.NATS_PREFIX);
    const storeId = app.config.STORE_ID;
    const now = () => app.clock.now();
    const { writes, repos, log } = app;
    const link = new NatsLink({ options: storeNatsOptions(app.config.NATS_URL, storeId, ''), log });
    const publisher = new OutboxPublisher({
      file: app.sqliteFile,
      storeId,
      natsUrl: app.config.NATS_URL,
      natsPrefix: app.config.NATS_PREFIX,
      outbox: repos.outbox,
      writes,
      log,
      now,
      durableSeq: repos.ledger.lastSeq(),
    });
    const behindCentral = createBehindCentralGuard({ ledger: repos.ledger, log });
    const clockOffset = createClockOffset(log);
    new Gauge({
      name: 'store_clock_offset_seconds',
      help: "This store's clock minus central's, measured from heartbeat answers (absent until one came)",
      // A label, so the series is absent until measured: a label-less gauge would read 0, "in step".
      labelNames: ['against'],
      registers: [app.metrics],
      collect() {
        if (clockOffset.offsetMs !== null) this.set({ against: 'central' }, clockOffset.offsetMs / 1000);
      },
    });
    const stops: Array<() => unknown> = [];
    let heartbeat: (() => void) | undefined;
    // HQ hears at once, not at the next beat, that this store refuses stock changes for a full disk.
    writes.onStorageChange(() => heartbeat?.());
    link.onConnect((nc) => {
      const responder = startStoreResponder(nc, {
        sqliteFile: app.sqliteFile,
        ledger: repos.ledger,
        outbox: repos.outbox,
        names,
        storeId,
        log,
        now,
        behindCentral,
        clockOffset,
        storage: app.storage,
        slowestWalFsyncMs: () => writes.takeSlowestSyncMs(),
      });
      heartbeat = responder.heartbeat;
      const reserve = startReserveResponder(nc, { names, storeId, writes, reservations: app.reservations, log });
      const commands = startCommandConsumer(nc, { names, storeId, writes, transfers: app.transfers, log });
      const catalog = startCatalogFollower(nc, {
        names,
        storeId,
        writes,
        products: repos.products,
        stock: repos.stock,
        log,
      });
      stops.push(
        () => responder.stop(),
        () => reserve.unsubscribe(),
        () => commands.stop(),
        () => catalog.stop(),
      );
    });

    app.decorate('syncLink', {
      status: () => ({
        online: link.online,
        lastPublishedAt: publisher.lastPublishedAt,
        behindCentral: behindCentral.status(),
        clockOffsetMs: clockOffset.offsetMs,
      }),
    });
    app.addHook('onReady', async () => {
      link.start();
      publisher.start();
      // Before the POS can write: a file restored from a backup must not seal one event central would
      // take for a fork. Bounded, so a store that cannot reach NATS still opens (offline-first).
      const waitMs = app.config.STARTUP_CENTRAL_CHECK_MS;
      if (waitMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          behindCentral.firstAnswer,
          new Promise((resolve) => {
            timer = setTimeout(resolve, waitMs);
          }),
        ]);
        clearTimeout(timer);
      }
    });
    app.addHook('onClose', async () => {
      await publisher.stop();
      await Promise.all(stops.map((stop) => stop()));
      await link.close();
    });
  },
  { name: 'sync', dependencies: ['config', 'domain'] },
);
