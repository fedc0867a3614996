import { type Static, Type } from '@sinclair/typebox';
import { type AuthToken, loadConfig, tokensFromSettings } from '@stocksync/shared/service';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Central's whole configuration: environment variables only (DESIGN §2). */
export const CentralConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data/central' }),
  /** PostgreSQL via `pg`; unset → embedded PGlite persisted under DATA_DIR. */
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** PostgreSQL connections per replica: reservations hold one across a store round trip's neighbours. */
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 24 }),
  /** Longest wait for a PostgreSQL connection (a free pooled one, or connecting) before 503. */
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5_000 }),
  /**
   * Longest wait for one statement before 503 and a dropped connection: bounds what a hung PostgreSQL
   * costs. Keep it below APPLY_ACK_WAIT_MS, so an apply batch fails before JetStream redelivers it elsewhere.
   */
  DATABASE_QUERY_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 15_000 }),
  NATS_URL: Type.String({ minLength: 1, default: 'nats://127.0.0.1:4222' }),
  NATS_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_-]*$', default: '' }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  /** Namespaces every Redis key (lock:reserve:…), so deployments or tests can share one Redis. */
  REDIS_KEY_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_:.-]*$', maxLength: 64, default: '' }),
  /** How long a NATS request to a store (hold/confirm/cancel) may take before 503 STORE_UNAVAILABLE. */
  RESERVE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 30_000, default: 2_500 }),
  /** How long a reservation request may wait for its (store, SKU) lock, in this process and across replicas. */
  RESERVE_LOCK_WAIT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000 }),
  /** Keep-alive comment interval on GET /alerts/stream, so proxies keep the connection open. */
  SSE_HEARTBEAT_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 15_000 }),
  HQ_ADMIN_TOKEN: Type.String({ minLength: 8 }),
  HQ_VIEWER_TOKEN: Type.String({ minLength: 8 }),
  /** During a rotation: the token being replaced, still accepted (and counted) until removed. */
  HQ_ADMIN_TOKEN_PREVIOUS: Type.Optional(Type.String({ minLength: 8 })),
  HQ_VIEWER_TOKEN_PREVIOUS: Type.Optional(Type.String({ minLength: 8 })),
  // An enum (not a union of literals) so a bad value gives one readable error line.
  LOG_LEVEL: Type.Unsafe<(typeof LOG_LEVELS)[number]>({ type: 'string', enum: [...LOG_LEVELS], default: 'info' }),
  STORE_OFFLINE_AFTER_MS: Type.Integer({ minimum: 1, default: 15_000 }),
  APPLY_BATCH_MAX: Type.Integer({ minimum: 1, maximum: 50_000, default: 1000 }),
  /** JetStream ack_wait of the apply consumer: how long a crashed replica's in-flight events wait for redelivery. */
  APPLY_ACK_WAIT_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 30_000 }),
  /** Requests per minute per bearer token (per client IP without one), per replica; /health and /metrics exempt. */
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 600_000 }),
  /** Period of the catalog publisher's retry of changes not yet in the KV buckets (NATS down, crash). */
  CATALOG_PUBLISH_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 600_000, default: 3_000 }),
  /** Period of the reconciliation sweep over online stores (DESIGN §6b); 0 = only on demand. */
  RECONCILE_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 300_000 }),
});
export type CentralConfig = Static<typeof CentralConfigSchema>;

/** Every bearer token central accepts, with its role; throws ConfigError when two settings share one. */
export function centralTokens(config: CentralConfig): AuthToken[] {
  return tokensFromSettings([
    { setting: 'HQ_ADMIN_TOKEN', value: config.HQ_ADMIN_TOKEN, role: 'admin' },
    { setting: 'HQ_VIEWER_TOKEN', value: config.HQ_VIEWER_TOKEN, role: 'viewer' },
    { setting: 'HQ_ADMIN_TOKEN_PREVIOUS', value: config.HQ_ADMIN_TOKEN_PREVIOUS, role: 'admin', retiring: true },
    { setting: 'HQ_VIEWER_TOKEN_PREVIOUS', value: config.HQ_VIEWER_TOKEN_PREVIOUS, role: 'viewer', retiring: true },
  ]);
}

/** Throws ConfigError (one line naming the setting) on a bad or missing variable. */
export function loadCentralConfig(env: Record<string, string | undefined> = process.env): CentralConfig {
  const config = loadConfig(CentralConfigSchema, env);
  centralTokens(config);
  return config;
}
