import { createHash } from 'node:crypto';

/**
 * A retried POST with the same Idempotency-Key maps to the same resource id (a name-based UUID,
 * version 8, per resource kind), so the primary key makes the create idempotent without a key table.
 */
export function idForIdempotencyKey(kind: string, key: string): string {
  const hex = createHash('sha256').update(`${kind}\u0000${key}`).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
