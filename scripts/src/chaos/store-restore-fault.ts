import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceProcess, STORE_SERVER } from '@stocksync/shared/testing';
import Database from 'better-sqlite3';
import { createCentralHistoryClient } from '../../../store-node/src/recovery/central-history-client';
import { recoverStore } from '../../../store-node/src/recovery/recover-store';
import { httpCall, pollUntil } from '../chain/http-client';
import { type ChaosCluster, STORE_TOKEN, type StoreNode } from './chaos-cluster';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type RestoreOutcome = { replayed: number } | { skipped: string };

/**
 * A store's disk dies and its last backup comes back (docs/operations.md "A store"): a hot backup, more
 * traffic, then the file is replaced by the backup and `store:recover` replays what central holds before
 * the node starts again. The emulated disk dies only once central holds every event of the file: events
 * never published die with a real disk by design, and the audit proves nothing acknowledged is lost.
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

  await store.process.stop();
  for (let attempt = 1; ; attempt++) {
    try {
      await publishWholeFile(cluster, store);
      break;
    } catch (error) {
      if (attempt < 3) continue;
      await cluster.restartSupervised(store.process);
      return { skipped: (error as Error).message };
    }
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
 * Runs the node on another port (the POS cannot reach it) until central has applied every event of
 * its file and nothing is pending, then stops it: from then on the file and central agree.
 */
async function publishWholeFile(cluster: ChaosCluster, store: StoreNode): Promise<void> {
  const drain = await ServiceProcess.start(`${store.id}-drain`, STORE_SERVER, cluster.storeEnv(store));
  try {
    const client = { url: drain.url, token: STORE_TOKEN };
    await pollUntil(
      async () => {
        const sync = (await httpCall<{ lastSeq: number; pending: number }>(client, 'GET', '/sync')).body;
        const { rows } = await cluster.db.query<{ seq: string }>(
          'select last_seq as seq from stores where store_id = $1',
          [store.id],
        );
        return { ...sync, central: Number(rows[0]?.seq ?? 0) };
      },
      (s) => s.pending === 0 && s.central === s.lastSeq,
      { what: `${store.id}: central holds its whole file`, timeoutMs: 60_000, intervalMs: 200 },
    );
  } finally {
    await drain.stop();
  }
  // Hold expiry may have sealed an event between the last poll and the stop: check the file itself.
  const db = new Database(join(store.dataDir, `store-${store.id}.sqlite`), { readonly: true });
  const head = (db.prepare('SELECT max(seq) AS seq FROM ledger').get() as { seq: number | null }).seq ?? 0;
  db.close();
  const { rows } = await cluster.db.query<{ seq: string }>('select last_seq as seq from stores where store_id = $1', [
    store.id,
  ]);
  if (Number(rows[0]?.seq ?? 0) !== head) throw new Error(`${store.id}: an event sealed at the stop was not published`);
}
