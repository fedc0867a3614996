import { type TSchema, Type } from '@sinclair/typebox';

export { decodeCursor, toPage } from '@stocksync/shared';

/** Fastify's error shape with the stable machine `code` (DESIGN §7). */
export const ErrorSchema = Type.Object(
  { statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() },
  { additionalProperties: true, description: 'Error' },
);
/** Error statuses every authenticated route can answer. */
export const readErrors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 500: ErrorSchema } as const;

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const DateTime = Type.String({ format: 'date-time' });

export const StoreIdParam = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9][a-z0-9-]*$' });
export const SkuParam = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });
export const SkuPrefixParam = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });

export const Limit = (max: number, fallback: number) => Type.Integer({ minimum: 1, maximum: max, default: fallback });
export const Cursor = Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' });

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });

export const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/** `Idempotency-Key` on stock-changing POSTs: a retry gets the first answer (DESIGN §7). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
});
