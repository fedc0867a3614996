import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  StorageType,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { eventsStreamConfig, type NatsNames } from '@stocksync/shared';

export type ConsumerTuning = { ackWaitMs: number; maxAckPending: number };

function isNotFound(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/**
 * Create-or-update of the events stream with the shared definition (stores create the same one when
 * they come up first): file storage, the default 2-minute dedup window for publisher retries, a week
 * of retention. Idempotent and safe when several processes race at start-up.
 */
export async function ensureEventsStream(jsm: JetStreamManager, names: NatsNames): Promise<void> {
  const wanted = { ...eventsStreamConfig(names), storage: StorageType.File };
  for (let attempt = 0; ; attempt++) {
    try {
      const { config } = await jsm.streams.info(wanted.name);
      const subjects = config.subjects ?? [];
      const drifted =
        !wanted.subjects.every((s) => subjects.includes(s)) ||
        config.max_age !== wanted.max_age ||
        config.duplicate_window !== wanted.duplicate_window;
      if (drifted) {
        await jsm.streams.update(wanted.name, {
          subjects: [...new Set([...subjects, ...wanted.subjects])],
          max_age: wanted.max_age,
          duplicate_window: wanted.duplicate_window,
        });
      }
      return;
    } catch (error) {
      if (!isNotFound(error, JetStreamApiCodes.StreamNotFound) || attempt > 2) throw error;
    }
    try {
      await jsm.streams.add(wanted);
      return;
    } catch (error) {
      // Another process created it between our info and add: loop and check its config.
      if (attempt > 2) throw error;
    }
  }
}

/** The durable pull consumer all central replicas share: explicit ack, redelivery after `ackWaitMs`. */
export async function ensureApplyConsumer(
  jsm: JetStreamManager,
  names: NatsNames,
  tuning: ConsumerTuning,
): Promise<void> {
  const config = {
    durable_name: names.centralDurable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(tuning.ackWaitMs),
    max_ack_pending: tuning.maxAckPending,
    max_deliver: -1,
  };
  try {
    await jsm.consumers.info(names.eventsStream, names.centralDurable);
    await jsm.consumers.update(names.eventsStream, names.centralDurable, {
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
    });
  } catch (error) {
    if (!isNotFound(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
    await jsm.consumers.add(names.eventsStream, config);
  }
}
