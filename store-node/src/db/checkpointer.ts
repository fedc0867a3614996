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
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let lastFrames = -1;
const tick = () => {
  if (stopped) { try { checkpoint.get(); } catch {} db.close(); parentPort.postMessage('closed'); return; }
  let delay = workerData.intervalMs;
  try {
    const { log, checkpointed } = checkpoint.get();
    // Nothing written since the last look and all of it copied back: look less often.
    if (log === lastFrames && checkpointed === log) delay = workerData.intervalMs * workerData.idleFactor;
    lastFrames = log;
  } catch {}
  setTimeout(tick, delay);
};
tick();
`;

/**
 * Runs `wal_checkpoint(PASSIVE)` on its own connection in a worker thread. A checkpoint on the
 * request path sets the p99.9; PASSIVE never blocks the writer. While the WAL has not changed it looks
 * `idleFactor` times less often: an idle store's thread wake-ups add up across a chain's nodes.
 */
export function startCheckpointer(file: string, intervalMs = 250, idleFactor = 4) {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs, idleFactor } });
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
