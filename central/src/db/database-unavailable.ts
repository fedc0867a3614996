import { DomainError, ErrorCode } from '@stocksync/shared';

/** SQLSTATEs that say "the database cannot serve now", not "this query is wrong". */
const UNAVAILABLE_STATES = [
  /^08/, // connection exception
  /^53/, // insufficient resources: disk full, out of memory, too many connections
  /^57P0[1-3]$/, // admin shutdown, crash shutdown, cannot connect now (starting up, recovering)
];
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** node-postgres reports a dropped or unobtainable connection with a message, not a code. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /not queryable/,
  /^Query read timeout/, // DATABASE_QUERY_TIMEOUT_MS: the server stopped answering
];

function unavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.some((s) => s.test(code)))) {
    return true;
  }
  if (CONNECTION_MESSAGES.some((m) => m.test(error.message))) return true;
  // drizzle wraps the driver's error ("Failed query: …") with the original as its cause.
  return unavailable(error.cause);
}

/**
 * Central's database down or refusing work becomes 503 DEPENDENCY_UNAVAILABLE (retryable) instead of
 * a 500; the original is logged. A transaction that did not commit left nothing, but a connection that
 * broke during the COMMIT itself leaves the outcome unknown to central too: the answer does not promise
 * "nothing changed", it says how to retry safely (the same key finds the first outcome; a product's
 * SKU is unique, so a repeated create says it exists).
 */
export function classifyDatabaseError(error: unknown): DomainError | undefined {
  if (!unavailable(error)) return undefined;
  return new DomainError(
    ErrorCode.DEPENDENCY_UNAVAILABLE,
    'Central database unavailable. Retry shortly with the same Idempotency-Key: a request cut off at its commit may have been applied.',
  );
}
