import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { commandsStreamConfig, compileValidator, type NatsNames, StoreCommandSchema } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { ChainHead } from '../db/repositories/ledger-repository';
import type { WriteQueue } from '../db/write-queue';
import type { TransferService } from '../domain/transfer-service';

const storeCommand = compileValidator(StoreCommandSchema);
/**
 * One command in flight: a command that fails (or whose store dies before committing it) is
 * redelivered, and nothing after it may overtake it. With several in flight, a transfer's cancel was
 * applied (and ignored: unknown transfer) before its request came back, and the store kept the transfer
 * open (a 100,000-operation chaos run, seed 1204). Commands are few; ordering is what matters.
 */
const COMMANDS_IN_FLIGHT = 1;

/**
 * The store's durable consumer on INV_COMMANDS: an offline store gets its commands when it returns.
 * Each command is applied in the write queue and acked after it is durable; a failure naks it for
 * redelivery. If the consumer breaks (stream recreated, NATS restarted, its storage lost) it subscribes
 * again, creating the stream and the consumer where they are missing.
 */
export function startCommandConsumer(
  nc: NatsConnection,
  deps: {
    names: NatsNames;
    storeId: string;
    writes: WriteQueue<ChainHead>;
    transfers: TransferService;
    log: FastifyBaseLogger;
  },
) {
  let stopped = false;
  let close: (() => Promise<void>) | undefined;
  const durable = deps.names.commandsDurable(deps.storeId);

  async function subscribe(): Promise<void> {
    const jsm = await jetstreamManager(nc);
    const config = commandsStreamConfig(deps.names);
    await jsm.streams.info(config.name).catch(() => jsm.streams.add(config));
    const existing = await jsm.consumers.info(config.name, durable).catch(() =>
      jsm.consumers.add(config.name, {
        durable_name: durable,
        filter_subject: deps.names.commandsSubject(deps.storeId),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: 30_000_000_000,
        max_ack_pending: COMMANDS_IN_FLIGHT,
      }),
    );
    // Consumers created before commands were strictly ordered keep the server's default until updated.
    if (existing.config.max_ack_pending !== COMMANDS_IN_FLIGHT) {
      await jsm.consumers.update(config.name, durable, { max_ack_pending: COMMANDS_IN_FLIGHT });
    }
    const consumer = await jetstream(nc).consumers.get(config.name, durable);
    const messages = await consumer.consume({
      // A consumer or stream that is gone ends this consume, and the loop creates them again: left to
      // itself the client waits for someone else to restore them, and nobody would.
      abort_on_missing_resource: true,
      callback: (msg) => {
        let command: ReturnType<typeof storeCommand.parse>;
        try {
          command = storeCommand.parse(msg.json());
        } catch (error) {
          deps.log.error({ err: (error as Error).message }, 'unreadable command dropped');
          msg.term();
          return;
        }
        deps.writes
          .submit(() => deps.transfers.applyCommand(command))
          .then(
            () => msg.ack(),
            (error: unknown) => {
              deps.log.warn({ err: (error as Error).message, command: command.type }, 'command failed; redelivering');
              msg.nak(1_000);
            },
          );
      },
    });
    close = () => messages.close().then(() => undefined);
    await messages.closed();
  }

  const run = async () => {
    while (!stopped) {
      try {
        await subscribe();
      } catch (error) {
        if (!stopped) deps.log.warn({ err: (error as Error).message }, 'command consumer failed; subscribing again');
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 1_000));
    }
  };
  const running = run();
  // After a reconnect, subscribe again at once: a server that came back without its storage lost the
  // durable consumer, and the client would only notice after missing heartbeats.
  void (async () => {
    for await (const status of nc.status()) {
      if (stopped) break;
      if (status.type === 'reconnect') void close?.().catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await close?.().catch(() => undefined);
      await Promise.race([running, new Promise((r) => setTimeout(r, 2_000))]);
    },
  };
}
