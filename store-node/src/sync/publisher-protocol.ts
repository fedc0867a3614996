/** Messages between the store's main thread and its outbox publisher thread. */
export type PublisherWorkerData = {
  file: string;
  storeId: string;
  natsUrl: string;
  natsPrefix: string;
  /** Last seq on disk at start-up, and the last one JetStream acknowledged before it. */
  durableSeq: number;
  ackedSeq: number;
  batchMax: number;
};

export type ToPublisher = { type: 'durable'; seq: number } | { type: 'stop' };

export type FromPublisher =
  | { type: 'acked'; upTo: number; at: number }
  | { type: 'status'; online: boolean }
  | { type: 'log'; level: 'warn' | 'error'; message: string }
  | { type: 'stopped' };
