/**
 * Outbox publisher thread. It reads unsent outbox rows on its own read-only SQLite connection and
 * publishes them with its own NATS connection, so the per-message publish and PubAck work (as much
 * CPU as the POS sale itself) stays off the event loop that answers terminals. It never writes: it
 * reports acknowledged seqs, and the main thread marks them sent in its group commit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { eventsStreamConfig, natsNames } from '@stocksync/shared';
import Database from 'better-sqlite3';
import { storeNatsOptions } from './nats-options';
import { PipelinedPublisher } from './pipelined-publisher';
import { type FromPublisher, PublisherCells, type PublisherWorkerData, type ToPublisher } from './publisher-protocol';

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
const IDLE_POLL_MS = 5_000;

const data = workerData as PublisherWorkerData;
const port = parentPort!;
const post = (message: FromPublisher) => port.postMessage(message);
const names = natsNames(data.natsPrefix);
const subject = names.eventsSubject(data.storeId);

const sqlite = new Database(data.file, { readonly: true, fileMustExist: true });
sqlite.pragma('busy_timeout = 5000');
const unsent = sqlite.prepare<[number, number, number], { seq: number; eventId: string; payload: string }>(
  'SELECT seq, event_id AS eventId, payload FROM outbox WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
);

const cells = new PublisherCells(data.cells);
let ackedSeq = cells.acked;
/** The durable seq the last look at the outbox went up to: waiting for work means waiting past it. */
let lookedUpTo = 0;
let stopped = false;
let wake: (() => void) | undefined;
let nc: NatsConnection | undefined;
let publisher: PipelinedPublisher | undefined;
const natsOptions = storeNatsOptions(data.natsUrl, data.storeId, 'publisher');
let online = false;
let streamReady = false;

port.on('message', (message: ToPublisher) => {
  if (message.type === 'stop') stopped = true;
  wake?.();
});

/**
 * Sleeps `ms`; wake() (stop, reconnect) ends it early, and so does a durable seq past `untilDurablePast`
 * when given. The timer also keeps the thread alive, which a pending Atomics wait does not.
 */
function pause(ms: number, untilDurablePast?: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      resolve();
    }
    wake = done;
    if (untilDurablePast !== undefined) void cells.durableChangedFrom(untilDurablePast).then(done);
  });
}

function setOnline(value: boolean) {
  if (online === value) return;
  online = value;
  post({ type: 'status', online });
}

async function watch(conn: NatsConnection) {
  for await (const status of conn.status()) {
    if (status.type === 'disconnect' || status.type === 'staleConnection') setOnline(false);
    if (status.type === 'reconnect') {
      setOnline(true);
      wake?.();
    }
  }
}

async function ensureStream(conn: NatsConnection) {
  if (streamReady) return;
  const jsm = await jetstreamManager(conn);
  const config = eventsStreamConfig(names);
  // Central normally creates it; a store that comes up first must not lose its events.
  await jsm.streams.info(config.name).catch(() => jsm.streams.add(config).catch(() => jsm.streams.info(config.name)));
  streamReady = true;
}

async function publishBatch(conn: NatsConnection): Promise<number> {
  const durableSeq = cells.durable;
  lookedUpTo = durableSeq;
  if (durableSeq <= ackedSeq) return 0;
  await ensureStream(conn);
  const rows = unsent.all(ackedSeq, durableSeq, data.batchMax);
  if (rows.length === 0) return 0;
  publisher ??= new PipelinedPublisher(conn, subject, natsOptions.inboxPrefix ?? '_INBOX');
  const { upTo, failure } = await publisher.publish(rows, 5_000);
  if (upTo > 0) {
    ackedSeq = upTo;
    cells.setAcked(upTo, Date.now());
  }
  if (failure) throw failure;
  return rows.length;
}

async function run() {
  connect(natsOptions).then(
    (conn) => {
      nc = conn;
      setOnline(true);
      void watch(conn);
      wake?.();
    },
    (err: unknown) => post({ type: 'log', level: 'error', message: `nats connect gave up: ${String(err)}` }),
  );

  let backoff = MIN_BACKOFF_MS;
  while (!stopped) {
    if (!nc || !online) {
      await pause(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      continue;
    }
    try {
      const published = await publishBatch(nc);
      backoff = MIN_BACKOFF_MS;
      // A new durable seq ends the wait; the poll is only a safety net.
      if (published === 0) await pause(IDLE_POLL_MS, lookedUpTo);
    } catch (err) {
      streamReady = false;
      post({
        type: 'log',
        level: 'warn',
        message: `outbox publish failed, retrying in ${backoff} ms: ${(err as Error).message}`,
      });
      await pause(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
  await nc?.close().catch(() => undefined);
  sqlite.close();
  post({ type: 'stopped' });
}

void run();
