import { createHash } from 'node:crypto';
import { DomainError, ErrorCode } from '@stocksync/shared';
import canonicalize from 'canonicalize';
import type { IdempotencyRepository } from '../db/repositories/idempotency-repository';

export type IdempotentOutcome<T> = { statusCode: number; body: T; replayed: boolean };

/**
 * `Idempotency-Key`: the first successful answer is stored in the same transaction as its
 * effect, so a retry after a timeout or a crash gets exactly that answer. A failed attempt
 * stores nothing (it changed nothing), so retrying it is safe. Same key, other request → 409.
 */
export function createIdempotencyService(repo: IdempotencyRepository, now: () => number) {
  return {
    run<T>(
      request: { key: string | undefined; scope: string; body: unknown },
      statusCode: number,
      effect: () => T,
    ): IdempotentOutcome<T> {
      if (!request.key) return { statusCode, body: effect(), replayed: false };
      const key = `${request.scope}\n${request.key}`;
      const requestHash = createHash('sha256')
        .update(canonicalize(request.body ?? null) ?? '')
        .digest('hex');
      const stored = repo.find(key);
      if (stored) {
        if (stored.requestHash !== requestHash) {
          throw new DomainError(
            ErrorCode.IDEMPOTENCY_MISMATCH,
            'This Idempotency-Key was already used with a different request',
          );
        }
        return { statusCode: stored.statusCode, body: JSON.parse(stored.response) as T, replayed: true };
      }
      const body = effect();
      repo.insert({ key, requestHash, statusCode, response: JSON.stringify(body), createdAtMs: now() });
      return { statusCode, body, replayed: false };
    },
  };
}
export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
