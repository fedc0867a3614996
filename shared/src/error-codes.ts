/** Stable machine codes of the HTTP error shape `{statusCode, code, error, message}` (DESIGN §7). */
export const ErrorCode = {
  VALIDATION: 'VALIDATION',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  INSUFFICIENT_STOCK: 'INSUFFICIENT_STOCK',
  CONFLICT: 'CONFLICT',
  DUPLICATE_SKU: 'DUPLICATE_SKU',
  IDEMPOTENCY_MISMATCH: 'IDEMPOTENCY_MISMATCH',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  STORE_BEHIND_CENTRAL: 'STORE_BEHIND_CENTRAL',
  DEPENDENCY_UNAVAILABLE: 'DEPENDENCY_UNAVAILABLE',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  STORAGE_FULL: 'STORAGE_FULL',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INSUFFICIENT_STOCK: 409,
  CONFLICT: 409,
  DUPLICATE_SKU: 409,
  IDEMPOTENCY_MISMATCH: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  STORE_UNAVAILABLE: 503,
  STORE_BEHIND_CENTRAL: 503,
  DEPENDENCY_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  /** 507 Insufficient Storage: the store node's disk is full; nothing was recorded. */
  STORAGE_FULL: 507,
  INTERNAL: 500,
};

/** A typed domain error; each service's error handler maps it to `{statusCode, code, error, message}`. */
export class DomainError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
    this.statusCode = ERROR_STATUS[code];
  }
}

export const ErrorResponseSchemaProps = {
  statusCode: { type: 'integer' },
  code: { type: 'string' },
  error: { type: 'string' },
  message: { type: 'string' },
} as const;
