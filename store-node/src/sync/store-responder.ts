import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  compileValidator,
  type Heartbeat,
  type NatsNames,
  ResendRequestSchema,
  type StoreStateRequest,
  StoreStateRequestSchema,
} from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { LedgerRepository } from '../db/repositories/ledger-repository';
import type { OutboxRepository } from '../db/repositories/outbox-repository';
import type { StorageStatus } from '../db/storage-status';
import type { BehindCentralGuard } from './behind-central-guard';
import type { ClockOffset } from './clock-offset';
import { createStateReader } from './state-reader';

const resendRequest = compileValidator(ResendRequestSchema);
const stateRequest = compileValidator(StoreStateRequestSchema);
const RESEND_CHUNK = 1_000;
const HEARTBEAT_REPLY_MS = 2_000;

type Deps = {
  /** The store's SQLite file: state reads run on a read-only connection of their own. */
  sqliteFile: string;
  ledger: LedgerRepository;
  outbox: OutboxRepository;
  names: NatsNames;
  storeId: string;
  log: FastifyBaseLogger;
  now: () => number;
  /** Told central's answer to each heartbeat. */
  behindCentral: BehindCentralGuard;
  /** Told the send and receive times of each answered heartbeat, and central's stamp on it. */
  clockOffset: ClockOffset;
  storage: () => StorageStatus;
  /** The longest WAL fsync since the previous call (null: none ran); see WriteQueue.takeSlowestSyncMs. */
  slowestWalFsyncMs: () => number | null;
};

/**
 * Answers central over core NATS: gap repair ("publish again from seq N", served from the ledger,
 * which keeps every event even after the outbox is pruned) and reconciliation (current state).
 */
export function startStoreResponder(nc: NatsConnection, deps: Deps) {
  const { names, storeId, log } = deps;
  let resending = false;

  async function republish(fromSeq: number, toSeq: number): Promise<number> {
    const js = jetstream(nc);
    const subject = names.eventsSubject(storeId);
    let count = 0;
    for (let from = fromSeq; from <= toSeq; from += RESEND_CHUNK) {
      const events = deps.ledger.range(from, Math.min(toSeq, from + RESEND_CHUNK - 1), RESEND_CHUNK);
      if (events.length === 0) break;
      // A fresh msgID: the original may be past JetStream's dedup window; central dedups by event id.
      const stamp = deps.now();
      await Promise.all(
        events.map((e) =>
          js.publish(subject, JSON.stringify(e), { msgID: `${e.id}:resend:${stamp}`, timeout: 10_000 }),
        ),
      );
      count += events.length;
    }
    return count;
  }

  const resendSub = nc.subscribe(names.resendSubject(storeId), {
    callback: (err, msg) => {
      if (err) return;
      let request: { fromSeq: number; toSeq?: number | undefined };
      try {
        request = resendRequest.parse(msg.json());
      } catch (error) {
        msg.respond(JSON.stringify({ error: (error as Error).message }));
        return;
      }
      const lastSeq = deps.ledger.lastSeq();
      const toSeq = Math.min(request.toSeq ?? lastSeq, lastSeq);
      if (resending || request.fromSeq > toSeq) {
        msg.respond(JSON.stringify({ republished: 0, lastSeq }));
        return;
      }
      resending = true;
      msg.respond(JSON.stringify({ republished: toSeq - request.fromSeq + 1, lastSeq }));
      republish(request.fromSeq, toSeq)
        .then((count) => log.info({ fromSeq: request.fromSeq, toSeq, count }, 'resent events for gap repair'))
        .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'resend failed'))
        .finally(() => {
          resending = false;
        });
    },
  });

  const reader = createStateReader(deps.sqliteFile);
  const stateSub = nc.subscribe(names.stateSubject(storeId), {
    callback: (err, msg) => {
      if (err) return;
      let request: StoreStateRequest;
      try {
        request = stateRequest.parse(msg.data.length > 0 ? msg.json() : {});
      } catch (error) {
        msg.respond(JSON.stringify({ error: (error as Error).message }));
        return;
      }
      const { afterSku, limit = 0 } = request;
      (limit === 0 ? reader.summary() : reader.page(afterSku, limit))
        .then((reply) => msg.respond(JSON.stringify(reply)))
        .catch((error: unknown) => {
          log.warn({ err: (error as Error).message }, 'state request failed');
          msg.respond(JSON.stringify({ error: 'state read failed' }));
        });
    },
  });

  const heartbeat = () => {
    const sentAtMs = deps.now();
    const stats = deps.outbox.stats(sentAtMs);
    const storage = deps.storage();
    const clockOffsetMs = deps.clockOffset.offsetMs;
    const slowestWalFsyncMs = deps.slowestWalFsyncMs();
    const beat: Heartbeat = {
      storeId,
      sentAt: new Date(sentAtMs).toISOString(),
      lastSeq: deps.ledger.lastSeq(),
      lastPublishedSeq: stats.lastPublishedSeq,
      pending: stats.pending,
      oldestPendingAgeMs: stats.oldestPendingAgeMs,
      behindCentral: deps.behindCentral.status() !== null,
      storageFull: storage.full,
      ...(storage.freeBytes === null ? {} : { diskFreeBytes: storage.freeBytes }),
      ...(clockOffsetMs === null ? {} : { clockOffsetMs }),
      ...(slowestWalFsyncMs === null ? {} : { slowestWalFsyncMs: Math.ceil(slowestWalFsyncMs) }),
    };
    if (nc.isClosed()) return;
    // A request: central answers with its cursor for this store (a guard against a restored file).
    nc.request(names.heartbeatSubject(storeId), JSON.stringify(beat), { timeout: HEARTBEAT_REPLY_MS }).then(
      (reply) => {
        const wasBehind = deps.behindCentral.status() !== null;
        const receivedAtMs = deps.now();
        try {
          const answer = deps.behindCentral.onReply(reply.json());
          deps.clockOffset.onReply(sentAtMs, receivedAtMs, answer.centralTime);
        } catch (error) {
          log.warn({ err: (error as Error).message }, 'heartbeat reply ignored');
        }
        // Tell HQ at once, not at the next beat: its dashboard shows why this store refuses sales.
        if (wasBehind !== (deps.behindCentral.status() !== null)) heartbeat();
      },
      () => deps.behindCentral.onNoAnswer(),
    );
  };
  heartbeat();
  const timer = setInterval(heartbeat, 5_000);
  timer.unref();

  return {
    heartbeat,
    stop() {
      clearInterval(timer);
      resendSub.unsubscribe();
      stateSub.unsubscribe();
      return reader.close();
    },
  };
}
