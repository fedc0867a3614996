import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { commandsStreamConfig, natsNames, newId, type StoreCommand } from '@stocksync/shared';
import { readStream } from '@stocksync/shared/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandRelay } from '../src/commands/command-relay';
import { createCommandOutboxRepository, type OutboxCommand } from '../src/db/command-outbox-repository';
import { createBackend, startCentral } from './helpers/central-harness';
import { deleteStreams, NATS_URL, uniquePrefix } from './helpers/test-env';

const command = (storeId: string, note = ''): OutboxCommand => {
  const id = newId();
  return { id, storeId, payload: { type: 'transfer.cancelled', id, transferId: newId(), issuedAt: `now${note}` } };
};

/**
 * A store's commands must reach its stream in outbox order even when one of them fails: a later one
 * overtaking an earlier one that is sent again next round is how a cancel landed before its transfer
 * request in a long chaos run (the store then kept the transfer open). JetStream refusing an oversized
 * message makes "the first fails, the next would succeed" deterministic.
 */
describe('command relay: a failed command is never overtaken by its store’s next one', () => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let app: FastifyInstance;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const prefix = uniquePrefix();
  const names = natsNames(prefix);

  beforeAll(async () => {
    backend = await createBackend('postgres');
    // Sync off: this central runs no relay of its own; the test drives one.
    app = await startCentral({ prefix, env: backend.env, sync: { enabled: false } });
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ ...commandsStreamConfig(names), max_msg_size: 1_024 });
  });
  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await deleteStreams(prefix);
    await backend?.cleanup();
  });

  it('stops that store at the failure, relays the other stores, and keeps order when it clears', async () => {
    const oversized = command('x1', 'x'.repeat(2_000));
    const after = command('x1');
    const other = [command('y1'), command('y1')];
    await app.db.transaction((tx) => createCommandOutboxRepository(tx).enqueue([oversized, after, ...other]));
    const relay = new CommandRelay({
      db: app.db,
      clients: () => ({ js: jetstream(nc), jsm }),
      names,
      log: app.log,
      batchMax: 50,
    });

    await expect(relay.relayOnce()).rejects.toThrow();
    const onStream = async () => (await readStream<StoreCommand>(nc, names.commandsStream)).map((c) => c.id);
    // Nothing of x1 went out after its refused command; y1 went out whole, in order.
    expect(await onStream()).toEqual(other.map((c) => c.id));
    const pending = (await createCommandOutboxRepository(app.db).unpublished(50)).map((c) => c.id);
    expect(pending).toEqual([oversized.id, after.id]);

    // The refusal clears (an operator raises the limit): x1's commands follow in outbox order.
    const { config } = await jsm.streams.info(names.commandsStream);
    await jsm.streams.update(names.commandsStream, { ...config, max_msg_size: -1 });
    expect(await relay.relayOnce()).toBe(2);
    expect(await onStream()).toEqual([...other.map((c) => c.id), oversized.id, after.id]);
  });
});
