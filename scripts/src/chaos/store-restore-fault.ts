import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createCentralHistoryClient } from '../../../store-node/src/recovery/central-history-client';
import { recoverStore } from '../../../store-node/src/recovery/recover-store';
import { httpCall, pollUntil } from '../chain/http-client';
import { type ChaosCluster, STORE_TOKEN, type StoreNode } from './chaos-cluster';

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
      });
      replayed += report.events;
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
  const centralSeq = async () => {
    const { rows } = await cluster.db.query<{ seq: string }>('select last_seq as seq from stores where store_id = $1', [
      store.id,
    ]);
    return Number(rows[0]?.seq ?? 0);
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
