import { afterAll, beforeAll } from 'vitest';
import { createBackend, type Driver, startCentral } from './central-harness';
import { testNats } from './nats-helpers';
import { deleteStreams, uniquePrefix } from './test-env';

/**
 * Central in this process on its own database, under a unique NATS prefix, with a test client on the
 * same prefix to publish as stores do; `stop()` closes both and removes the streams and the database.
 */
export async function startCentralOnNats(driver: Driver) {
  const backend = await createBackend(driver);
  const prefix = uniquePrefix();
  const t = await testNats(prefix);
  const app = await startCentral({ prefix, env: backend.env });
  return {
    app,
    t,
    prefix,
    async stop() {
      await app.close();
      await t.nc.close();
      await deleteStreams(prefix);
      await backend.cleanup();
    },
  };
}

/** startCentralOnNats for a whole describe block: started before its tests, stopped after them. */
export function useCentralOnNats(driver: Driver) {
  let running: Awaited<ReturnType<typeof startCentralOnNats>> | undefined;
  beforeAll(async () => {
    running = await startCentralOnNats(driver);
  });
  afterAll(() => running?.stop());
  const current = () => {
    if (!running) throw new Error('central is not running (outside the describe block?)');
    return running;
  };
  return {
    get app() {
      return current().app;
    },
    get t() {
      return current().t;
    },
  };
}
