/**
 * `npm run reset -- --yes`: deletes demo/test state so the next `npm run demo` starts from nothing.
 * Without --yes it only prints what it would delete. What it deletes (docs/operations.md):
 *   1. the demo data directory (DEMO_DATA_DIR, default ./data/demo): every store's SQLite, central's
 *      embedded PGlite, the demo logs and demo-state.json;
 *   2. the JetStream streams and KV buckets of the demo's NATS prefix (from demo-state.json, or
 *      NATS_PREFIX / --nats-prefix=…); the empty production prefix is refused;
 *   3. with DATABASE_URL (or --database-url=…): that PostgreSQL database, dropped and created empty
 *      (central migrates it on its next start).
 * Redis holds only expiring lock keys: nothing to delete. Stop the demo or services first.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsNames } from '@stocksync/shared';
import pg from 'pg';
import { demoDataDir } from './demo/demo-settings';

const args = process.argv.slice(2);
const flag = (name: string) =>
  args
    .find((a) => a.startsWith(`--${name}=`))
    ?.split('=')
    .slice(1)
    .join('=');
const confirmed = args.includes('--yes');
const say = (line: string) => process.stdout.write(`${line}\n`);

const dataDir = flag('data-dir') ?? demoDataDir();
const stateFile = join(dataDir, 'demo-state.json');
const savedPrefix = existsSync(stateFile)
  ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { natsPrefix?: string }).natsPrefix
  : undefined;
const natsPrefix = flag('nats-prefix') ?? process.env.NATS_PREFIX ?? savedPrefix;
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const databaseUrl = flag('database-url') ?? process.env.DATABASE_URL;

if (natsPrefix === '') {
  process.stderr.write('Refusing to delete the streams of the empty (production) NATS prefix.\n');
  process.exit(1);
}
const names = natsPrefix ? natsNames(natsPrefix) : undefined;
const streams = names
  ? [names.eventsStream, names.commandsStream, `KV_${names.catalogBucket}`, `KV_${names.storeSettingsBucket}`]
  : [];
const database = databaseUrl ? new URL(databaseUrl).pathname.slice(1) : undefined;
if (database && /^(postgres|template\d*)$/.test(database)) {
  process.stderr.write(`Refusing to drop the system database "${database}".\n`);
  process.exit(1);
}

say(`${confirmed ? 'Deleting' : 'Would delete'}:`);
say(`  data directory ${dataDir}${existsSync(dataDir) ? '' : ' (absent)'}`);
say(names ? `  NATS streams at ${natsUrl}: ${streams.join(', ')}` : '  no NATS prefix known: no streams');
say(
  database
    ? `  PostgreSQL database "${database}" (dropped and recreated empty)`
    : '  no DATABASE_URL: no PostgreSQL database',
);
if (!confirmed) {
  say('Nothing deleted. Run again with --yes: npm run reset -- --yes');
  process.exit(1);
}

let deletedStreams = 0;
if (names) {
  const nc = await connect({ servers: natsUrl, timeout: 3_000 });
  try {
    const jsm = await jetstreamManager(nc);
    for (const stream of streams) {
      deletedStreams += await jsm.streams.delete(stream).then(
        () => 1,
        () => 0, // already gone
      );
    }
  } finally {
    await nc.close();
  }
}
if (databaseUrl && database) {
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const quoted = `"${database.replace(/"/g, '""')}"`;
    await client.query(`drop database if exists ${quoted} with (force)`);
    await client.query(`create database ${quoted}`);
  } finally {
    await client.end();
  }
}
rmSync(dataDir, { recursive: true, force: true });
say(
  `Done: ${dataDir} removed, ${deletedStreams} NATS stream(s) deleted${database ? `, database "${database}" recreated` : ''}.`,
);
