import { parseArgs } from 'node:util';
import { Type } from '@sinclair/typebox';
import { ConfigError, loadConfig } from '@stocksync/shared/service';
import { StoreConfigSchema } from './config/config';
import { InstanceLockedError } from './db/instance-lock';
import { createCentralHistoryClient } from './recovery/central-history-client';
import { ForkReentryConflictError } from './recovery/fork-reentry';
import { RecoveryRefusedError, recoverStore, StoreForkedError } from './recovery/recover-store';

/**
 * `npm run store:recover [-- --dry-run] [--reenter-fork [--skip-misfits]]`, with the store node stopped: takes into a
 * store restored from a backup every event central holds of it that the backup lacks; with
 * --reenter-fork, a store that already sold on the old backup is rebuilt from central and its own
 * movements since are entered again after central's head (docs/operations.md "A store").
 * Exit 0: done (or nothing to do); 2: refused, nothing changed (node running, fork, central's copy
 * does not fit); 1: failed on the way (network, HTTP): run it again, it continues where it stopped.
 */
const RecoveryConfigSchema = Type.Object({
  STORE_ID: StoreConfigSchema.properties.STORE_ID,
  DATA_DIR: StoreConfigSchema.properties.DATA_DIR,
  CENTRAL_URL: Type.String({ pattern: '^https?://' }),
  /** An HQ viewer token (the environment, not argv: argv shows in `ps`). */
  HQ_TOKEN: Type.String({ minLength: 8 }),
  POS_HOLD_HOURS: Type.Number({ minimum: 0, default: 24 }),
});

try {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      'reenter-fork': { type: 'boolean', default: false },
      'skip-misfits': { type: 'boolean', default: false },
    },
  });
  const config = loadConfig(RecoveryConfigSchema);
  const report = await recoverStore({
    dataDir: config.DATA_DIR,
    storeId: config.STORE_ID,
    central: createCentralHistoryClient({
      baseUrl: config.CENTRAL_URL,
      token: config.HQ_TOKEN,
      storeId: config.STORE_ID,
    }),
    posHoldHours: config.POS_HOLD_HOURS,
    dryRun: values['dry-run'],
    reenterFork: values['reenter-fork'],
    skipMisfits: values['skip-misfits'],
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  for (const hold of report.holds?.posHolds ?? []) {
    process.stderr.write(
      `POS hold ${hold.id} (${hold.qty} × ${hold.sku}) kept until ${hold.expiresAt}: check it with the customer\n`,
    );
  }
  for (const misfit of report.fork?.skipped ?? []) {
    process.stderr.write(
      `fork event ${misfit.seq} (${misfit.type} ${misfit.sku}, ref ${misfit.ref}) left out: ${misfit.problem}; count ${misfit.sku}\n`,
    );
  }
  for (const sku of report.fork?.recount ?? []) {
    process.stderr.write(`${sku} was counted on the fork while central's history also moved it: count it again\n`);
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
} catch (error) {
  const refused =
    error instanceof StoreForkedError ||
    error instanceof ForkReentryConflictError ||
    error instanceof RecoveryRefusedError ||
    error instanceof InstanceLockedError ||
    error instanceof ConfigError ||
    (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
  process.stderr.write(`recovery ${refused ? 'refused' : 'failed'}: ${(error as Error).message}\n`);
  process.exitCode = refused ? 2 : 1;
}
