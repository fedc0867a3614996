import { Counter, Histogram, type Registry } from 'prom-client';

/** Every whole millisecond up to 25 ms (the sync target's p99), then coarser up to an hour offline. */
const APPLY_LATENCY_BUCKETS = [
  ...Array.from({ length: 25 }, (_, i) => (i + 1) / 1000),
  ...[30, 40, 50, 75, 100, 150, 200, 300, 500, 750].map((ms) => ms / 1000),
  ...[1, 2.5, 5, 10, 30, 60, 300, 3600],
];

/** Apply-path metrics on the app's own registry (exposed by GET /metrics). */
export function createSyncMetrics(registry: Registry) {
  const registers = [registry];
  return {
    applied: new Counter({ name: 'central_events_applied_total', help: 'Store events applied', registers }),
    duplicates: new Counter({
      name: 'central_events_duplicate_total',
      help: 'Store events skipped as already applied',
      registers,
    }),
    buffered: new Counter({
      name: 'central_events_buffered_total',
      help: 'Store events held back behind a seq gap',
      registers,
    }),
    batchSize: new Histogram({
      name: 'central_apply_batch_size',
      help: 'Messages per apply transaction',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    flushSeconds: new Histogram({
      name: 'central_apply_flush_seconds',
      help: 'Duration of one apply transaction',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    /**
     * Commit at central minus occurredAt at the store, by event type. A histogram, not a summary: two
     * replicas' buckets add up (a summary's quantiles do not), and an observation costs ≈ 0.7 µs against
     * a summary's ≈ 3.5 µs (six t-digests per value), ≈ 10 % of the apply's CPU at 20,000 events/s.
     * Both times are whole milliseconds, so the 1 ms buckets up to 25 ms hold exact values.
     */
    applyLatency: new Histogram({
      name: 'central_apply_latency_seconds',
      help: "Commit at central minus the event's occurredAt, taken onto central's clock by the store's reported offset, by event type",
      labelNames: ['type'] as const,
      buckets: APPLY_LATENCY_BUCKETS,
      registers,
    }),
    chainBreaks: new Counter({
      name: 'central_chain_breaks_total',
      help: 'Chain breaks and poison messages recorded',
      labelNames: ['reason'] as const,
      registers,
    }),
    gapRequests: new Counter({
      name: 'central_gap_requests_total',
      help: 'Resend requests sent to stores for seq gaps',
      registers,
    }),
    applyErrors: new Counter({
      name: 'central_apply_errors_total',
      help: 'Apply transactions that failed (messages nak-ed)',
      registers,
    }),
    heartbeats: new Counter({ name: 'central_heartbeats_total', help: 'Store heartbeats received', registers }),
    reconciliations: new Counter({
      name: 'central_reconciliations_total',
      help: 'Store reconciliations by result (match, repaired, diverged, in_flight, unreachable)',
      labelNames: ['result'] as const,
      registers,
    }),
    reconcileSkus: new Counter({
      name: 'central_reconcile_skus_total',
      help: 'SKUs reconciliation repaired at central, or found diverged (central ahead of the store)',
      labelNames: ['kind'] as const,
      registers,
    }),
  };
}
export type SyncMetrics = ReturnType<typeof createSyncMetrics>;
