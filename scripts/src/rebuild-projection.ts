/**
 * Rebuilds central's stock projection from its ledger (DESIGN §6b), e.g. after restoring a backup
 * or suspecting the projection. `npx tsx scripts/src/rebuild-projection.ts`
 *   DATABASE_URL  central's PostgreSQL (replicas may keep running: the rebuild locks stores like apply)
 *   DATA_DIR      without DATABASE_URL: central's embedded PGlite directory (central must be stopped)
 */
import { openDatabase } from '../../central/src/db/database';
import { rebuildProjection } from '../../central/src/domain/projection-rebuild';

const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = process.env.DATA_DIR ?? './data/central';
const handle = await openDatabase({ databaseUrl, dataDir });
try {
  const started = Date.now();
  const rows = await rebuildProjection(handle.db);
  process.stdout.write(
    `projection rebuilt from the ledger (${handle.driver}${databaseUrl ? '' : ` in ${dataDir}`}): ${rows} (store, sku) rows in ${Date.now() - started} ms\n`,
  );
} finally {
  await handle.close();
}
