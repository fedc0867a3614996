import { type Static, Type } from '@sinclair/typebox';
import { type AuthToken, loadConfig, tokensFromSettings } from '@stocksync/shared/service';

export const StoreConfigSchema = Type.Object({
  STORE_ID: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9][a-z0-9-]*$' }),
  STORE_TOKEN: Type.String({ minLength: 8 }),
  /** During a rotation: the token being replaced, still accepted (and counted) until removed. */
  STORE_TOKEN_PREVIOUS: Type.Optional(Type.String({ minLength: 8 })),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 7001 }),
  HOST: Type.String({ default: '127.0.0.1' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
  /** Namespaces streams/subjects (tests, staging); production leaves it empty. */
  NATS_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9_-]*$' }),
  /** Publishing is on unless explicitly disabled (a store without central, a benchmark of the POS alone). */
  SYNC_ENABLED: Type.Boolean({ default: true }),
  /**
   * At start, how long to wait for central's answer to the first heartbeat (is this file behind
   * central?) before opening to the POS; 0: do not wait. Only an unreachable NATS makes it wait it all.
   */
  STARTUP_CENTRAL_CHECK_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 3_000 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** FULL: an answered write survives power loss. NORMAL only on battery-backed storage. */
  SQLITE_SYNCHRONOUS: Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')], { default: 'FULL' }),
  /** Most writes that share one group commit. */
  WRITE_BATCH_MAX: Type.Integer({ minimum: 1, maximum: 10_000, default: 512 }),
  RESERVATION_SWEEP_MS: Type.Integer({ minimum: 10, default: 1000 }),
  IDEMPOTENCY_TTL_HOURS: Type.Integer({ minimum: 1, default: 48 }),
  /** Acknowledged outbox rows are kept this long for inspection; the ledger keeps every event for good. */
  OUTBOX_RETENTION_HOURS: Type.Integer({ minimum: 1, default: 24 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 256 * 1024 }),
});
export type StoreConfig = Static<typeof StoreConfigSchema>;

/** The POS tokens the node accepts; throws ConfigError when the previous one equals the current one. */
export const storeTokens = (config: StoreConfig): AuthToken[] =>
  tokensFromSettings([
    { setting: 'STORE_TOKEN', value: config.STORE_TOKEN, role: 'admin' },
    { setting: 'STORE_TOKEN_PREVIOUS', value: config.STORE_TOKEN_PREVIOUS, role: 'admin', retiring: true },
  ]);

export function loadStoreConfig(env: Record<string, string | undefined> = process.env): StoreConfig {
  const config = loadConfig(StoreConfigSchema, env);
  storeTokens(config);
  return config;
}
