import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createStoresRepository } from '../db/stores-repository';
import type { ApplyHook } from '../domain/apply-batch';
import { ApplyConsumer } from './apply-consumer';
import { GapRepair } from './gap-repair';
import { subscribeHeartbeats } from './heartbeat-subscriber';
import { Reconciler } from './reconciler';
import { StoreClocks } from './store-clocks';
import { registerStoreHealthMetrics } from './store-health-metrics';
import { createSyncMetrics, type SyncMetrics } from './sync-metrics';

/** Knobs tests shorten; production uses the defaults. */
export type SyncTuning = {
  ackWaitMs: number;
  maxAckPending: number;
  nakDelayMs: number;
  /** Max seq advance per store per transaction (buffer drains). */
  window: number;
  gapMinIntervalMs: number;
  gapBrokenIntervalMs: number;
  gapSweepIntervalMs: number;
  gapGraceMs: number;
  resendTimeoutMs: number;
  reconcileIntervalMs: number;
  reconcileRetryDelayMs: number;
};
export type SyncPluginOptions = Partial<SyncTuning> & {
  /** false: serve the API only (no consumer, heartbeats or gap repair). */
  enabled?: boolean;
};

declare module 'fastify' {
  interface FastifyInstance {
    sync: { consumer: ApplyConsumer; gapRepair: GapRepair; reconciler: Reconciler; metrics: SyncMetrics };
    /** Push a hook here (before the app is ready) to react to applied events inside the apply transaction. */
    applyHooks: ApplyHook[];
  }
}

/** Domain stage: the apply consumer, gap repair and heartbeat subscriber, started once the app is ready. */
export const syncPlugin = fp<SyncPluginOptions>(
  async (app: FastifyInstance, opts) => {
    const batchMax = app.config.APPLY_BATCH_MAX;
    const { enabled, ...overrides } = opts;
    const tuning: SyncTuning = {
      ackWaitMs: app.config.APPLY_ACK_WAIT_MS,
      maxAckPending: Math.max(20_000, batchMax * 10),
      nakDelayMs: 500,
      window: Math.max(5_000, batchMax * 5),
      gapMinIntervalMs: 2_000,
      gapBrokenIntervalMs: 30_000,
      gapSweepIntervalMs: 2_000,
      gapGraceMs: 250,
      resendTimeoutMs: 3_000,
      reconcileIntervalMs: app.config.RECONCILE_INTERVAL_MS,
      reconcileRetryDelayMs: 200,
      ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    };
    const { db, nats } = app;
    const log = app.log.child({ component: 'sync' });
    const metrics = createSyncMetrics(app.metrics);
    registerStoreHealthMetrics(app.metrics, createStoresRepository(db), app.config.STORE_OFFLINE_AFTER_MS);

    const gapRepair = new GapRepair({
      db,
      nats,
      log,
      metrics,
      minIntervalMs: tuning.gapMinIntervalMs,
      brokenIntervalMs: tuning.gapBrokenIntervalMs,
      sweepIntervalMs: tuning.gapSweepIntervalMs,
      graceMs: tuning.gapGraceMs,
      requestTimeoutMs: tuning.resendTimeoutMs,
      onDrain: (storeId) => consumer.requestDrain(storeId),
    });
    const hooks: ApplyHook[] = [];
    const clocks = new StoreClocks();
    const consumer = new ApplyConsumer({
      clocks,
      hooks,
      db,
      nats,
      log,
      metrics,
      batchMax,
      window: tuning.window,
      ackWaitMs: tuning.ackWaitMs,
      maxAckPending: tuning.maxAckPending,
      nakDelayMs: tuning.nakDelayMs,
      onResend: () => gapRepair.notify(),
    });
    const reconciler = new Reconciler({
      db,
      hooks,
      nats,
      log,
      metrics,
      intervalMs: tuning.reconcileIntervalMs,
      requestTimeoutMs: tuning.resendTimeoutMs,
      pageSize: 1_000,
      attempts: 5,
      retryDelayMs: tuning.reconcileRetryDelayMs,
      offlineAfterMs: app.config.STORE_OFFLINE_AFTER_MS,
    });
    app.decorate('sync', { consumer, gapRepair, reconciler, metrics });
    app.decorate('applyHooks', hooks);
    if (enabled === false) return;

    let heartbeats: { unsubscribe: () => void } | null = null;
    app.addHook('onReady', async () => {
      heartbeats = subscribeHeartbeats({ nats, db, log, metrics, clocks });
      consumer.start();
      gapRepair.start();
      reconciler.start();
    });
    app.addHook('onClose', async () => {
      gapRepair.stop();
      reconciler.stop();
      heartbeats?.unsubscribe();
      await consumer.stop();
    });
  },
  { name: 'sync', fastify: '5.x', dependencies: ['config', 'db', 'nats', 'observability'] },
);
