import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import type { SyncPluginOptions } from '../../src/sync/sync-plugin';
import { createBackend, type Driver, startCentral } from './central-harness';
import { startStore, type TestStore } from './store-fixture';
import { deleteStreams, NATS_URL, uniquePrefix } from './test-env';

export type Backend = Awaited<ReturnType<typeof createBackend>>;

export type CentralWithStoresOptions<Id extends string> = {
  driver: Driver;
  /** The real store nodes to start, by store id, each with its own extra env. */
  stores: Record<Id, { env?: Record<string, string> }>;
  /** A fresh unique prefix unless given: pass one when central's env must name it. */
  prefix?: string;
  /** Central's env on top of the backend's (DATABASE_URL, DATA_DIR). */
  env?: Record<string, string>;
  sync?: SyncPluginOptions;
};

export type CentralWithStores<Id extends string> = {
  app: FastifyInstance;
  /** A client connection of the test's own, for the catalog bucket, subscriptions and requests. */
  nc: NatsConnection;
  backend: Backend;
  prefix: string;
  stores: Record<Id, TestStore>;
  /** Stops the stores, central and `nc`, deletes the prefix's streams, then drops the backend. */
  stop: () => Promise<void>;
};

/** A central on a fresh backend and NATS prefix, with real store nodes following that prefix. */
export async function startCentralWithStores<Id extends string>(
  opts: CentralWithStoresOptions<Id>,
): Promise<CentralWithStores<Id>> {
  const prefix = opts.prefix ?? uniquePrefix();
  // Undone in reverse order, so a start that fails half-way still releases what it made.
  const undo: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    const errors: unknown[] = [];
    for (const step of undo.splice(0).reverse()) await step().catch((err: unknown) => errors.push(err));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'teardown failed');
  };
  try {
    const backend = await createBackend(opts.driver);
    undo.push(backend.cleanup, () => deleteStreams(prefix));
    const nc = await connect({ servers: NATS_URL });
    undo.push(() => nc.close());
    const app = await startCentral({ prefix, env: { ...backend.env, ...opts.env }, sync: opts.sync });
    undo.push(() => app.close());
    const ids = Object.keys(opts.stores) as Id[];
    const started = await Promise.allSettled(
      ids.map((storeId) => startStore({ storeId, prefix, env: opts.stores[storeId].env })),
    );
    const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    undo.push(() => settleAll(running.map((store) => store.stop())));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const stores = Object.fromEntries(ids.map((id, i) => [id, running[i]])) as Record<Id, TestStore>;
    return { app, nc, backend, prefix, stores, stop };
  } catch (err) {
    // The start-up error is the one worth reporting, not a follow-on from the clean-up.
    await stop().catch(() => undefined);
    throw err;
  }
}

/** Waits for every promise (so no store is left running), then fails with the first failure. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
}
