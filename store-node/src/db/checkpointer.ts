import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Plain JS so the worker needs no TypeScript loader; it gets better-sqlite3's resolved path.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
let stopped = false;
parentPort.on('message', () => { stopped = true; });
const tick = () => {
  if (stopped) { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); parentPort.postMessage('closed'); return; }
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  setTimeout(tick, workerData.intervalMs);
};
tick();
`;

/**
 * Runs `wal_checkpoint(PASSIVE)` on its own connection in a worker thread. A checkpoint on the
 * request path sets the p99.9; PASSIVE never blocks the writer.
 */
export function startCheckpointer(file: string, intervalMs = 250) {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs } });
  worker.unref();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once('message', () => void worker.terminate().then(done, done));
        worker.once('error', done);
        worker.once('exit', done);
        worker.postMessage('stop');
      }),
  };
}
