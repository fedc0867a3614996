import { DomainError, ErrorCode } from './error-codes';
import { UuidSchema } from './events';

type Part = 'string' | 'number' | 'uuid';
type Decoded<T extends readonly Part[]> = { [K in keyof T]: T[K] extends 'number' ? number : string };

const UUID = new RegExp(UuidSchema.pattern ?? '');

/** Opaque keyset cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Whether one part of a decoded key has the shape the query will bind it as (a uuid cast fails on anything else). */
function fits(part: unknown, kind: Part): boolean {
  if (kind === 'number') return typeof part === 'number' && Number.isSafeInteger(part);
  return typeof part === 'string' && (kind === 'string' || UUID.test(part));
}

export function decodeCursor<T extends readonly Part[]>(cursor: string, shape: T, param = 'cursor'): Decoded<T> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const valid = Array.isArray(key) && key.length === shape.length && key.every((part, i) => fits(part, shape[i]!));
  if (!valid) throw new DomainError(ErrorCode.VALIDATION, `querystring/${param} is not a valid cursor`);
  return key as Decoded<T>;
}

/** Repositories are asked for limit + 1 rows; the extra row only tells whether another page exists. */
export function toPage<R, I>(
  rows: readonly R[],
  limit: number,
  key: (row: R) => readonly (string | number)[],
  view: (row: R) => I,
): { items: I[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(view), nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}
