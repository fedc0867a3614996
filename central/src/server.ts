import { ConfigError, runServer } from '@stocksync/shared/service';
import { buildApp } from './app';
import { type CentralConfig, loadCentralConfig } from './config/config';

function configOrExit(): CentralConfig {
  try {
    return loadCentralConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // One clear line naming the setting, exit 1 (DESIGN §2).
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

const config = configOrExit();
await runServer({ build: () => buildApp(config), host: config.HOST, port: config.PORT });
