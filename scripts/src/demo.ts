/**
 * `npm run demo`: the whole chain on this machine. Checks NATS and Redis, starts central and stores
 * s1..s3 as child processes, seeds the catalog (through central) and opening stock (through each
 * store), runs POS traffic and a scripted scenario, and shows progress every second.
 * Ctrl-C (or DEMO_SECONDS) stops every child cleanly. See docs/run.md.
 */
import { buildServices } from './build';
import { seedCatalog, seedOpeningStock } from './demo/catalog-seeder';
import { demoCatalog, openingStock } from './demo/demo-catalog';
import { createDemoChain } from './demo/demo-chain';
import { DemoScenario, scenarioTimes } from './demo/demo-scenario';
import { loadDemoSettings } from './demo/demo-settings';
import { missingInfrastructure } from './demo/infra-check';
import { PosSimulator } from './demo/pos-simulator';
import { ProgressView } from './demo/progress-view';

const say = (line = '') => process.stdout.write(`${line}\n`);

const settings = await loadDemoSettings().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
const missing = await missingInfrastructure(settings);
if (missing.length > 0) {
  for (const line of missing) process.stderr.write(`${line}\n`);
  process.stderr.write('Or install and start all of them at once: CI_SERVICES_ONLY=1 bash .ci/run\n');
  process.exit(1);
}

// The services run bundled, as in production; the build takes well under a second.
await buildServices();
const chain = createDemoChain(settings);
const catalog = demoCatalog();
const skus = catalog.map((p) => p.sku);
const simulator = new PosSimulator(chain.stores, skus, { terminalsPerStore: 2, pauseMs: 150, seed: Date.now() % 1e6 });
const progress = new ProgressView(chain, simulator);
const scenario = new DemoScenario(chain, skus, scenarioTimes(settings.seconds), (line) => progress.note(line));

let stopping: Promise<void> | undefined;
function shutdown(reason: string, code: number): Promise<void> {
  stopping ??= (async () => {
    progress.stop();
    say(`\n${reason}: stopping the POS simulator, the stores, then central …`);
    await Promise.allSettled([simulator.stop(), scenario.stop()]);
    await chain.stop();
    const total = [...simulator.tallies.values()].reduce((sum, t) => sum + t.sales, 0);
    say(
      `All processes stopped. ${total} sales made. Data kept in ${settings.dataDir} (npm run reset -- --yes wipes it).`,
    );
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void shutdown('Ctrl-C', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
// Children have their own process group: if the demo dies anyway, do not leave them behind.
process.on('exit', () => chain.killNow());

try {
  say(
    `Data: ${settings.dataDir}   NATS ${settings.natsUrl} (prefix ${settings.natsPrefix})   Redis ${settings.redisUrl}`,
  );
  say(
    `Central database: ${settings.databaseUrl ? settings.databaseUrl : `embedded PGlite in ${settings.dataDir}/central`}`,
  );
  say(`Logs: ${settings.logDir}/{central,s1,s2,s3}.log`);
  say('Starting central …');
  await chain.central.start();
  say('Starting store nodes s1, s2, s3 …');
  await Promise.all(chain.stores.map((s) => s.runner.start()));

  const counts = await seedCatalog(chain.admin, catalog);
  say(
    `Catalog: ${catalog.length} products (${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged)`,
  );
  for (const [i, store] of chain.stores.entries()) {
    const stock = await seedOpeningStock(store.client, catalog, (skuIndex) => openingStock(i, skuIndex));
    say(
      `Opening stock at ${store.storeId}: ${stock.skus} SKUs / ${stock.units} units received, ${stock.alreadyStocked} already stocked`,
    );
  }

  say();
  say(`HQ dashboard:  ${chain.central.url}/#token=${settings.viewerToken}`);
  say(
    `HQ API docs:   ${chain.central.url}/docs     admin token: ${settings.adminToken}   viewer token: ${settings.viewerToken}`,
  );
  for (const s of chain.stores)
    say(`Store ${s.storeId}:      ${s.runner.url}  (docs ${s.runner.url}/docs)   token: ${s.client.token}`);
  say(settings.seconds ? `Running for ${settings.seconds} s (DEMO_SECONDS).` : 'Running until Ctrl-C.');
  say();

  simulator.start();
  scenario.start();
  progress.start();
  if (settings.seconds) setTimeout(() => void shutdown(`${settings.seconds} s elapsed`, 0), settings.seconds * 1000);
} catch (error) {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  await shutdown('error', 1);
}
