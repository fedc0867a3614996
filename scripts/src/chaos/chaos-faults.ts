import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsNames } from '@stocksync/shared';
import { prng, type ServiceProcess } from '@stocksync/shared/testing';
import type { ChaosCluster, StoreNode } from './chaos-cluster';
import type { ChaosJournal } from './chaos-journal';
import type { Fault } from './chaos-plan';
import { restoreStoreFromBackup } from './store-restore-fault';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Centrals a kill-central fault is acting on now. */
const centralsFaulted = new Set<ServiceProcess>();

/**
 * Injects one planned fault and heals it. `burst` drives a store's POS while it is cut off, so the
 * store builds a backlog of `events` unsent events that must all arrive once the line is back.
 */
export async function injectFault(
  fault: Fault,
  cluster: ChaosCluster,
  journal: ChaosJournal,
  burst: (store: number, events: number) => Promise<number>,
  seed: number,
): Promise<void> {
  journal.fault(fault.kind);
  switch (fault.kind) {
    case 'kill-store':
      return withStore(cluster.stores[fault.store], async (store) => {
        await store.process.kill9();
        await sleep(fault.downMs);
        await cluster.restartSupervised(store.process);
      });
    case 'kill-central': {
      const central = cluster.centrals[fault.central];
      // Two faults on one central at once (seed 120523) started it twice: the copy left untracked kept
      // the port, and every later start found it taken. One fault per central at a time, as per store.
      if (!central?.running || centralsFaulted.has(central)) return;
      centralsFaulted.add(central);
      try {
        await central.kill9();
        await sleep(fault.downMs);
        await cluster.restartSupervised(central);
      } finally {
        centralsFaulted.delete(central);
      }
      return;
    }
    case 'nats-down':
      await cluster.nats.kill();
      await sleep(fault.downMs);
      await cluster.nats.restart();
      return;
    case 'nats-storage-lost':
      // Back on an empty store directory: streams, consumers, KV buckets and acknowledged messages gone.
      await cluster.nats.kill();
      await sleep(fault.downMs);
      await cluster.nats.restartEmpty();
      return;
    case 'redis-down':
      await cluster.redis.kill();
      await sleep(fault.downMs);
      await cluster.redis.restart();
      return;
    case 'postgres-down':
      await cluster.postgres.kill();
      await sleep(fault.downMs);
      await cluster.postgres.restart();
      return;
    case 'postgres-hang':
    case 'nats-hang':
    case 'redis-hang': {
      // Stopped, not dead: connections stay open and silent, so only the clients' timeouts notice.
      const server = { 'postgres-hang': cluster.postgres, 'nats-hang': cluster.nats, 'redis-hang': cluster.redis }[
        fault.kind
      ];
      server.freeze();
      try {
        await sleep(fault.downMs);
      } finally {
        server.thaw();
      }
      return;
    }
    case 'cut-off':
      return withStore(cluster.stores[fault.store], async (store) => {
        store.proxy.cut();
        try {
          journal.cutOffEvents += await burst(fault.store, fault.events);
        } finally {
          store.proxy.heal();
        }
      });
    case 'restore-store':
    case 'fork-store':
      return withStore(cluster.stores[fault.store], async (store) => {
        const fork = fault.kind === 'fork-store' ? { forkMs: fault.forkMs, journal } : undefined;
        const outcome = await restoreStoreFromBackup(cluster, store, fault.afterMs, fork);
        if ('replayed' in outcome) journal.restoredEvents += outcome.replayed;
        else journal.restoresSkipped.push(outcome.skipped);
      });
    case 'duplicates': {
      // NATS frozen or down by another fault, or its stream emptied by a storage loss, gives nothing to
      // copy: try again for a while rather than inject nothing.
      const storeId = cluster.stores[fault.store]?.id ?? 's1';
      for (let attempt = 0; attempt < 20; attempt++) {
        const published = await republish(cluster, storeId, fault.count, seed + attempt);
        journal.duplicatesPublished += published;
        if (published > 0) break;
        await sleep(500);
      }
    }
  }
}

/**
 * Runs a fault on a store once no other fault is working on it (faults of several lanes overlap). It
 * waits for the other fault rather than skipping: a skipped cut-off left a run without its backlog.
 */
async function withStore(store: StoreNode | undefined, fault: (store: StoreNode) => Promise<void>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (store?.busy && Date.now() < deadline) await sleep(100);
  if (!store?.process.running || store.busy) return;
  store.busy = true;
  try {
    await fault(store);
  } finally {
    store.busy = false;
  }
}

/**
 * Publishes copies of events already in the store's stream: half with their original msgID (JetStream's
 * dedup window drops them), half with a fresh one, as a store restored from backup or a replayed
 * resend would — those reach central, whose ledger must skip them by event id.
 */
async function republish(cluster: ChaosCluster, storeId: string, count: number, seed: number): Promise<number> {
  const names = natsNames(cluster.prefix);
  const nc = await connect({ servers: cluster.nats.url, timeout: 2_000, reconnect: false }).catch(() => null);
  if (!nc) return 0;
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const info = await jsm.streams.info(names.eventsStream);
    const random = prng(seed);
    let published = 0;
    for (let i = 0; i < count && info.state.messages > 0; i++) {
      const seq = info.state.first_seq + Math.floor(random() * (info.state.last_seq - info.state.first_seq + 1));
      const msg = await jsm.streams.getMessage(names.eventsStream, { seq }).catch(() => null);
      // Prefer the faulted store's events, but any store's copy tests the same dedup path.
      if (!msg || (msg.subject !== names.eventsSubject(storeId) && random() < 0.5)) continue;
      const msgID = random() < 0.5 ? (msg.header?.get('Nats-Msg-Id') ?? randomUUID()) : randomUUID();
      await js.publish(msg.subject, msg.data, { msgID });
      published++;
    }
    return published;
  } catch {
    return 0; // NATS went down under us: fewer duplicates, not a failure.
  } finally {
    await nc.close().catch(() => undefined);
  }
}
