import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../src/db/database';
import { projectionFromLedger } from '../src/domain/projection-rebuild';
import { allCaughtUp, createBackend, projection, syncSnapshot } from './helpers/central-harness';
import { exited, spawnCentral } from './helpers/child-process';
import { expectedProjection, interleave, rng, StoreEventFactory } from './helpers/event-factory';
import { publishEvents, type TestNats, testNats } from './helpers/nats-helpers';
import { ADMIN_TOKEN, deleteStreams, NATS_URL, uniquePrefix, VIEWER_TOKEN, waitFor } from './helpers/test-env';

const STORES = ['k1', 'k2', 'k3', 'k4'];
const PER_STORE = 6000;

describe('central as a process', () => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let prefix: string;
  let t: TestNats;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    backend = await createBackend('postgres');
    prefix = uniquePrefix();
    t = await testNats(prefix);
    handle = await openDatabase({ databaseUrl: backend.env.DATABASE_URL, dataDir: backend.env.DATA_DIR });
  });
  afterAll(async () => {
    await handle?.close();
    await t?.nc.close();
    await deleteStreams(prefix);
    await backend?.cleanup();
  });

  const env = () => ({
    ...backend.env,
    NATS_URL,
    NATS_PREFIX: prefix,
    HQ_ADMIN_TOKEN: ADMIN_TOKEN,
    HQ_VIEWER_TOKEN: VIEWER_TOKEN,
    PORT: '0',
    LOG_LEVEL: 'warn',
    // The killed process's unacked in-flight events come back after ack_wait.
    APPLY_ACK_WAIT_MS: '2000',
  });

  it('converges exactly after kill -9 in the middle of applying, then stops cleanly on SIGTERM', async () => {
    const factories = STORES.map((id, i) => new StoreEventFactory(id, rng(200 + i)));
    const events = interleave(factories.map((f) => f.generate(PER_STORE, ['A-1', 'A-2', 'B-1'])));
    await publishEvents(t, events);
    const total = events.length;

    const first = spawnCentral(env());
    const atKill = await waitFor(
      () => syncSnapshot(handle.db),
      (s) => s.ledger > 0,
      {
        intervalMs: 5,
        timeoutMs: 30_000,
        what: 'first applied batch',
      },
    );
    first.kill('SIGKILL');
    expect((await exited(first)).signal).toBe('SIGKILL');
    expect(atKill.ledger).toBeLessThan(total);

    // Whatever committed is internally consistent: cursor = ledger rows, projection = ledger.
    const crashed = await syncSnapshot(handle.db);
    const applied = Object.values(crashed.stores).reduce((sum, s) => sum + s.lastSeq, 0);
    expect(crashed.ledger).toBe(applied);
    expect(crashed.ledger).toBeLessThan(total);
    const fromLedger = await projectionFromLedger(handle.db);
    expect(await projection(handle.db)).toEqual(
      new Map(
        fromLedger.map((r) => [
          `${r.storeId}/${r.sku}`,
          { onHand: r.onHand, reserved: r.reserved, version: r.version },
        ]),
      ),
    );

    const second = spawnCentral(env());
    try {
      const caughtUp = Object.fromEntries(STORES.map((s) => [s, PER_STORE]));
      await waitFor(
        () => syncSnapshot(handle.db),
        (s) => allCaughtUp(s, caughtUp),
        {
          timeoutMs: 45_000,
          what: 'restarted central converged',
        },
      );
    } finally {
      second.kill('SIGTERM');
    }
    expect(await exited(second)).toEqual({ code: 0, signal: null });
    const done = await syncSnapshot(handle.db);
    expect(done.ledger).toBe(total);
    expect(done.distinctEvents).toBe(total);
    expect(done.breaks).toEqual([]);
    expect(await projection(handle.db)).toEqual(expectedProjection(factories));
  });

  it.concurrent.each([
    ['HQ_ADMIN_TOKEN', { HQ_ADMIN_TOKEN: undefined }],
    ['HQ_VIEWER_TOKEN', { HQ_VIEWER_TOKEN: 'short' }],
    ['APPLY_BATCH_MAX', { APPLY_BATCH_MAX: '0' }],
    ['PORT', { PORT: 'eighty' }],
    // Unparseable, not unreachable: central starts without NATS, but no server can fix a bad URL.
    ['NATS_URL', { NATS_URL: 'nats://central:secret@not a host:4222' }],
  ])('exits 1 with one line naming %s when it is missing or invalid', async (setting, override) => {
    const settings: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...env(), ...override }))
      if (value !== undefined) settings[key] = value;
    const child = spawnCentral(settings);
    expect((await exited(child)).code).toBe(1);
    const lines = child.output().stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(setting);
    expect(lines[0]).not.toContain('secret');
  });
});
