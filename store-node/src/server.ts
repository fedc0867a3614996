import { runServer } from '@stocksync/shared/service';
import { buildStoreApp } from './app';
import { loadStoreConfig } from './config/config';

const config = (() => {
  try {
    return loadStoreConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
})();

await runServer({ build: () => buildStoreApp(config), host: config.HOST, port: config.PORT });
