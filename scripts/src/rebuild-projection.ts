/**
 * Rebuilds central's stock projection from its ledger (DESIGN §6b), e.g. after restoring a backup
 * or suspecting the projection. `npx tsx scripts/src/rebuild-projection.ts`
 *   DATABASE_URL  central's PostgreSQL (replicas may keep running: the rebuild locks stores like apply)
 *   DATA_DIR      without DATABASE_URL: central's embedded PGlite directory (central must be stopped)
 */
import { rebuildProjection } from '../../central/src/domain/projection-rebuild';
import { openCentralDatabaseFromEnv } from './central-database-from-env';

const { handle, where } = await openCentralDatabaseFromEnv();
try {
  const started = Date.now();
  const rows = await rebuildProjection(handle.db);
  process.stdout.write(
    `projection rebuilt from the ledger (${where}): ${rows} (store, sku) rows in ${Date.now() - started} ms\n`,
  );
} finally {
  await handle.close();
}
