import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { newId, type StoreCommand } from '@stocksync/shared';
import { readStream, TestNatsServer } from '@stocksync/shared/testing';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandRelay } from '../src/commands/command-relay';
import { createCommandOutboxRepository, type OutboxCommand } from '../src/db/command-outbox-repository';
import { rowsOf } from '../src/db/database';
import { createBackend, startCentral } from './helpers/central-harness';
import { publishEvents, type TestNats, testNats } from './helpers/nats-helpers';
import { ScriptedStore } from './helpers/scripted-store';
import { ADMIN_TOKEN, uniquePrefix, waitFor } from './helpers/test-env';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

function cancelCommand(storeId: string): OutboxCommand {
  const id = newId();
  return { id, storeId, payload: { type: 'transfer.cancelled', id, transferId: newId(), issuedAt: 'now' } };
}

/** Relay behaviour under replicas and a NATS crash, on a private nats-server. */
describe('command relay', () => {
  let server: TestNatsServer;
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let app: FastifyInstance;
  let t: TestNats;
  let secondNc: NatsConnection;
  const unpublished = async () => createCommandOutboxRepository(app.db).pending();

  beforeAll(async () => {
    server = await TestNatsServer.start();
    backend = await createBackend('postgres');
    const prefix = uniquePrefix();
    t = await testNats(prefix, server.url);
    app = await startCentral({ prefix, env: { ...backend.env, NATS_URL: server.url } });
    secondNc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  });
  afterAll(async () => {
    await app?.close();
    await secondNc?.close();
    await t?.nc.close();
    await server?.stop();
    await backend?.cleanup();
  });

  it('several relays at once: every command on the stream exactly once, in outbox order per store', async () => {
    const replicas = [0, 1].map(() => {
      const js = jetstream(secondNc);
      return new CommandRelay({
        db: app.db,
        clients: () => ({ js, jsm: t.jsm }),
        names: app.nats.names,
        log: app.log,
        batchMax: 40,
      });
    });
    const commands = Array.from({ length: 400 }, (_, i) => cancelCommand(`r${i % 3}`));
    // Separate transactions, as separate HQ requests would enqueue them.
    for (let i = 0; i < commands.length; i += 50) {
      await app.db.transaction((tx) => createCommandOutboxRepository(tx).enqueue(commands.slice(i, i + 50)));
      await Promise.all(replicas.map((r) => r.relayOnce()));
    }
    // A crash after PubAck and before the commit leaves rows unpublished: they go out again, harmlessly.
    await app.db.execute(sql`update command_outbox set published_at = null where id in (
      select id from command_outbox order by created_at, id limit 30)`);
    for (let round = 0; round < 20 && (await unpublished()) > 0; round++) {
      await Promise.all([...replicas.map((r) => r.relayOnce()), app.commandRelay.relayOnce()]);
    }
    expect(await unpublished()).toBe(0);

    const stream = await readStream<StoreCommand>(t.nc, t.names.commandsStream);
    expect(stream).toHaveLength(400);
    const order = rowsOf<{ id: string; store_id: string }>(
      await app.db.execute(sql`select id, store_id from command_outbox order by created_at, id`),
    );
    for (const storeId of ['r0', 'r1', 'r2']) {
      const expected = order.filter((o) => o.store_id === storeId).map((o) => o.id);
      const seen = stream.filter((c) => commands.find((x) => x.id === c.id)?.storeId === storeId).map((c) => c.id);
      expect(seen).toEqual(expected);
    }
    const jsm = await jetstreamManager(secondNc);
    const info = await jsm.streams.info(t.names.commandsStream);
    expect(info.config.duplicate_window).toBe(120 * 1e9);
  });

  it('keeps commands while NATS is down and delivers them after it returns', async () => {
    const store = new ScriptedStore('n1');
    const peer = new ScriptedStore('n2');
    await publishEvents(t, [store.receive('SKU-1', 10), peer.receive('SKU-1', 1)]);
    await waitFor(
      // Stock rows, not store rows: a store's cursor row is created before its first batch commits.
      async () =>
        rowsOf<{ n: number }>(await app.db.execute(sql`select count(*)::int as n from stock where sku = 'SKU-1'`))[0]
          ?.n,
      (n) => n === 2,
      { what: 'opening stock applied' },
    );
    await server.kill();
    const created = await app.inject({
      method: 'POST',
      url: '/transfers',
      headers: admin,
      payload: { sku: 'SKU-1', fromStoreId: 'n1', toStoreId: 'n2', qty: 4 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { id } = created.json<{ id: string }>();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await unpublished()).toBe(2);

    await server.restart();
    await waitFor(unpublished, (n) => n === 0, { what: 'relay drained after NATS returned', timeoutMs: 30_000 });
    // The test's own connection reconnects on its own schedule, possibly after central's relay drained.
    const stream = await waitFor(
      () => readStream<StoreCommand>(t.nc, t.names.commandsStream).catch(() => null),
      (read) => read !== null,
      { what: "the test's NATS connection back", timeoutMs: 30_000 },
    );
    expect(stream!.filter((c) => c.transferId === id).map((c) => c.type)).toEqual([
      'transfer.requested',
      'transfer.requested',
    ]);
  });
});
