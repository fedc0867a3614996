import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createReservationsRepository } from '../db/reservations-repository';
import { createLockService } from '../redis/lock-service';
import { reservationApplyHook } from './reservation-apply-hook';
import { createReservationCoordinator, type ReservationCoordinator } from './reservation-coordinator';
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
    const stores = createStoreReserveClient({
      nc: nats.nc,
      names: nats.names,
      timeoutMs: config.RESERVE_TIMEOUT_MS,
      log,
    });
    app.decorate(
      'reservations',
      createReservationCoordinator({ repo: createReservationsRepository(app.db), locks, stores, log }),
    );
    app.applyHooks.push(reservationApplyHook);
  },
  { name: 'reservations', fastify: '5.x', dependencies: ['config', 'db', 'nats', 'redis', 'sync'] },
);
