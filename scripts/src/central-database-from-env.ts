import { openDatabase } from '../../central/src/db/database';

/**
 * Central's database as the operator scripts find it: `DATABASE_URL`, else the embedded PGlite under
 * `DATA_DIR` (central stopped). `where` names it for the script's report.
 */
export async function openCentralDatabaseFromEnv() {
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const dataDir = process.env.DATA_DIR ?? './data/central';
  const handle = await openDatabase({ databaseUrl, dataDir });
  return { handle, where: `${handle.driver}${databaseUrl ? '' : ` in ${dataDir}`}` };
}
