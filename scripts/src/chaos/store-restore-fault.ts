import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createCentralHistoryClient } from '../../../store-node/src/recovery/central-history-client';
import { type RecoveryReport, recoverStore } from '../../../store-node/src/recovery/recover-store';
import { httpCall, pollUntil } from '../chain/http-client';
import { type ChaosCluster, STORE_TOKEN, type StoreNode } from './chaos-cluster';
import type { ChaosJournal } from './chaos-journal';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type RestoreOutcome = { replayed: number } | { skipped: string };

/**
 * A store's disk dies and its last backup comes back (docs/operations.md "A store"): a hot backup, more
 * traffic, a kill, then the file is replaced by the backup and `store:recover` replays what central holds
 * before the node starts again. The emulated disk dies only when central holds every event of the file:
 * events never published die with a real disk by design, and the audit proves nothing acknowledged is lost.
 */
export async function restoreStoreFromBackup(
  cluster: ChaosCluster,
  store: StoreNode,
  afterMs: number,
  fork?: { forkMs: number; journal: ChaosJournal },
): Promise<RestoreOutcome> {
  const file = join(store.dataDir, `store-${store.id}.sqlite`);
  const backup = join(cluster.dir, `${store.id}-backup-${Date.now()}.sqlite`);
  const live = new Database(file, { readonly: true });
  live.exec(`VACUUM INTO '${backup}'`);
  live.close();
  await sleep(afterMs);

  if (!(await dieOnceCentralHoldsAll(cluster, store))) {
    await cluster.restartSupervised(store.process);
    return { skipped: `${store.id}: central never held its whole file at a kill` };
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  copyFileSync(backup, file);
  rmSync(backup, { force: true });
  if (fork) {
    // Started on the backup with its line down, nothing can warn the node: the lanes' POS traffic forks it.
    store.proxy.cut();
    try {
      await cluster.restartSupervised(store.process);
      await sleep(fork.forkMs);
      await store.process.stop();
    } finally {
      store.proxy.heal();
    }
  }

  // Resumable: a central down mid-way (none is, faults come one at a time, but a replica may be slow)
  // means running it again against the other one.
  let replayed = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const report = await recoverStore({
        dataDir: store.dataDir,
        storeId: store.id,
        central: createCentralHistoryClient({
          baseUrl: cluster.hq(attempt).url,
          token: cluster.viewerToken,
          storeId: store.id,
        }),
        posHoldHours: 0, // POS holds made after the backup expire at the node's first sweep, as their short TTLs would have
        reenterFork: fork !== undefined,
        skipMisfits: true, // what the fork sold beyond central's history is left for a count, and audited so
      });
      replayed += report.events;
      if (fork && report.fork) recordReentry(fork.journal, store, report.fork);
      break;
    } catch (error) {
      if (attempt >= 20) throw error;
      await sleep(500);
    }
  }
  await cluster.restartSupervised(store.process);
  return { replayed };
}

/**
 * Kills the node (kill -9: a disk dies without warning) at a moment central holds every event of its
 * file. Traffic goes on, so an event may be sealed between the check and the kill: the file is read
 * after the kill, and if central lacks anything the node starts again to publish it and the fault tries
 * again. Resolves false when no attempt succeeded (the node is then stopped).
 */
async function dieOnceCentralHoldsAll(cluster: ChaosCluster, store: StoreNode): Promise<boolean> {
  const client = { url: store.process.url, token: STORE_TOKEN };
  // Central's database may be down for a fault of its own meanwhile (seed 120510): "not yet", never a
  // crash of the run; -1 matches no file, so the node is started again and the check waits.
  const centralSeq = async () => {
    try {
      const { rows } = await cluster.db.query<{ seq: string }>(
        'select last_seq as seq from stores where store_id = $1',
        [store.id],
      );
      return Number(rows[0]?.seq ?? 0);
    } catch {
      return -1;
    }
  };
  for (let attempt = 1; attempt <= 5; attempt++) {
    if (attempt > 1) await cluster.restartSupervised(store.process);
    const caughtUp = await pollUntil(
      async () => {
        const sync = (await httpCall<{ lastSeq: number; pending: number }>(client, 'GET', '/sync')).body;
        return sync.pending === 0 && sync.lastSeq === (await centralSeq());
      },
      (done) => done,
      { what: `${store.id}: central holds its whole file`, timeoutMs: 30_000, intervalMs: 20 },
    ).catch(() => false);
    await store.process.kill9();
    if (!caughtUp) continue;
    const file = new Database(join(store.dataDir, `store-${store.id}.sqlite`), { readonly: true });
    const head = (file.prepare('SELECT max(seq) AS seq FROM ledger').get() as { seq: number | null }).seq ?? 0;
    file.close();
    if (head === (await centralSeq())) return true;
  }
  return false;
}

type EventKey = { event_id: string; type: string; ref: string | null; sku: string; version: number };
const EVENTS_AFTER = 'SELECT event_id, type, ref, sku, version FROM ledger WHERE seq > ?';

/** Tells the audit what each fork event's answer now stands for: its new version, or a misfit left out. */
function recordReentry(journal: ChaosJournal, store: StoreNode, fork: NonNullable<RecoveryReport['fork']>): void {
  const read = (file: string, afterSeq: number) => {
    const db = new Database(file, { readonly: true });
    try {
      return new Map((db.prepare(EVENTS_AFTER).all(afterSeq) as EventKey[]).map((e) => [e.event_id, e]));
    } finally {
      db.close();
    }
  };
  const forked = read(fork.archivedFile!, fork.commonSeq);
  const live = read(join(store.dataDir, `store-${store.id}.sqlite`), fork.commonSeq);
  const mapping = JSON.parse(readFileSync(fork.mappingFile!, 'utf8')) as {
    mapping: Array<{ forkEventId: string; eventId: string }>;
  };
  const newVersion = new Map(mapping.mapping.map((m) => [m.forkEventId, live.get(m.eventId)?.version ?? null]));
  for (const [id, e] of forked) {
    if (e.ref === null) continue; // no answer names it
    journal.recordForkFate(store.id, e.ref, {
      sku: e.sku,
      type: e.type,
      version: e.version,
      newVersion: newVersion.get(id) ?? null,
    });
  }
  journal.forkEventsReentered += fork.forkEvents;
  journal.forkEventsSkipped += fork.skipped.length;
}
