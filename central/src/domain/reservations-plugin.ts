import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';
import { createDatabaseClock, watchDatabaseClock } from '../db/database-clock';
import { createReservationAttemptsRepository } from '../db/reservation-attempts-repository';
import { createReservationsRepository } from '../db/reservations-repository';
import { createLockService } from '../redis/lock-service';
import { reservationApplyHook } from './reservation-apply-hook';
import { createReservationCoordinator, type ReservationCoordinator } from './reservation-coordinator';
import { createReservationSweeper } from './reservation-sweeper';
import { createStoreReserveClient } from './store-reserve-client';

declare module 'fastify' {
  interface FastifyInstance {
    reservations: ReservationCoordinator;
  }
}

/** Online reservations: the coordinator (lock → projection → store → record) and its apply hook. */
export const reservationsPlugin = fp(
  async (app: FastifyInstance) => {
    const { config, nats } = app;
    const log = app.log.child({ component: 'reservations' });
    const locks = createLockService({
      redis: app.redis,
      redlock: app.redlock,
      keyPrefix: config.REDIS_KEY_PREFIX,
      tuning: {
        // Outlives the slowest critical section (a store request that times out, then the DB insert).
        ttlMs: config.RESERVE_TIMEOUT_MS * 2 + 5_000,
        waitMs: config.RESERVE_LOCK_WAIT_MS,
        retryDelayMs: 5,
        retryJitterMs: 4,
      },
    });
    const stores = createStoreReserveClient({ nats, timeoutMs: config.RESERVE_TIMEOUT_MS, log });
    // Only the postgres driver abandons statements at a timeout (PGlite runs in this process).
    const queryTimeoutMs = app.dbDriver === 'postgres' ? config.DATABASE_QUERY_TIMEOUT_MS : undefined;
    // The deadline on recording holds is checked on PostgreSQL's clock: central measures the offset.
    const databaseClock = createDatabaseClock(app.db);
    const repo = createReservationsRepository(app.db, { queryTimeoutMs, databaseNow: databaseClock.now });
    if (queryTimeoutMs !== undefined) {
      const watch = watchDatabaseClock({ clock: databaseClock, registry: app.metrics, log, everyMs: 60_000 });
      await watch.ready;
      app.addHook('onClose', async () => watch.stop());
    }
    const attempts = createReservationAttemptsRepository(app.db);
    app.decorate('reservations', createReservationCoordinator({ repo, attempts, locks, stores, log }));
    app.applyHooks.push(reservationApplyHook);

    const registers = [app.metrics];
    const releasedTotal = new Counter({
      name: 'central_orphan_holds_released_total',
      help: 'Holds released at a store after their request ended without a central reservation',
      registers,
    });
    new Gauge({
      name: 'central_reservation_attempts_unsettled',
      help: 'Hold attempts not yet settled (a store may hold without a central record until swept)',
      registers,
      // Counted when scraped, not on every sweep; a database outage must not take /metrics down with it.
      async collect() {
        const unsettled = await attempts.countUnsettled().catch(() => undefined);
        if (unsettled !== undefined) this.set(unsettled);
      },
    });
    // Every replica sweeps; claiming rows with SKIP LOCKED and the (store, SKU) lock keep them apart.
    const sweeper = createReservationSweeper({
      attempts,
      reservations: repo,
      locks,
      stores,
      log,
      minAgeMs: config.RESERVE_TIMEOUT_MS,
      onReleased: (released) => releasedTotal.inc(released),
    });
    app.addHook('onReady', async () => sweeper.start(1_000));
    app.addHook('onClose', async () => {
      await sweeper.stop();
      // Answered holds may still be releasing their locks: left in Redis, they would block the key for its TTL.
      await locks.settled();
    });
  },
  { name: 'reservations', fastify: '5.x', dependencies: ['config', 'db', 'nats', 'redis', 'sync'] },
);
