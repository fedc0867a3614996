import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Nullable } from '../common-schemas';

/** A store's apply cursor and sync health (GET /stores, /stores/:storeId, /sync). */
export const StoreSchema = Type.Object({
  storeId: Type.String(),
  lastSeq: Type.Integer({ description: 'last contiguous seq applied at central' }),
  lastEventAt: Nullable(DateTime),
  lastAppliedAt: Nullable(DateTime),
  lastContactAt: Nullable(DateTime),
  lagMs: Nullable(
    Type.Integer({
      description:
        "lastAppliedAt − lastEventAt of the newest applied event, lastEventAt taken onto central's clock by " +
        'clockOffsetMs: how far central trailed the store',
    }),
  ),
  online: Type.Boolean(),
  pending: Nullable(Type.Integer({ description: 'unsent outbox events at the last heartbeat' })),
  oldestPendingAgeMs: Nullable(Type.Integer()),
  reportedLastSeq: Nullable(Type.Integer({ description: "store's own last seq at the last heartbeat" })),
  behindCentral: Type.Boolean({
    description:
      "the store's last heartbeat said its file is behind central's cursor (restored from a backup): it refuses " +
      'stock changes until `npm run store:recover` runs with the node stopped',
  }),
  storageFull: Type.Boolean({
    description:
      "the store's last heartbeat said its disk is full: it refuses stock changes (507 STORAGE_FULL) until " +
      'space is freed on its data disk',
  }),
  diskFreeBytes: Nullable(Type.Integer({ description: "free bytes on the store's data disk at its last heartbeat" })),
  clockOffsetMs: Nullable(
    Type.Integer({
      description:
        "the store's clock minus central's, as the store measured it at its last heartbeat (± half a NATS round " +
        "trip); lastEventAt is on the store's clock, so it is off by this much (lagMs is corrected for it)",
    }),
  ),
  slowestWalFsyncMs: Nullable(
    Type.Integer({
      description:
        "the longest fsync of the store's WAL between its last two heartbeats (one still in flight counted by its " +
        'age); every answered POS write waits for one, so a slow or failing disk shows here; null when none ran',
    }),
  ),
  chainStatus: Type.Union([Type.Literal('ok'), Type.Literal('broken')]),
  openBreaks: Type.Integer(),
  bufferedEvents: Type.Integer({ description: 'events received ahead of a seq gap, waiting for it to close' }),
  createdAt: DateTime,
  lastReconciledAt: Nullable(DateTime),
  reconcileResult: Nullable(
    Type.Union([Type.Literal('match'), Type.Literal('repaired'), Type.Literal('diverged'), Type.Literal('in_flight')], {
      description:
        'match; repaired: central took the store state (see discrepancies); diverged: central ahead of the store; ' +
        'in_flight: a busy store, every SKU central could judge matched, the rest had events on their way',
    }),
  ),
});
