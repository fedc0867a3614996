import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError, ErrorCode } from '../error-codes';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.VALIDATION,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.VALIDATION,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.VALIDATION,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.VALIDATION,
  FST_ERR_VALIDATION: ErrorCode.VALIDATION,
};

function codeFor(error: FastifyError): ErrorCode {
  if (error.validation) return ErrorCode.VALIDATION;
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return mapped;
  const status = error.statusCode ?? 500;
  if (status === 401) return ErrorCode.UNAUTHORIZED;
  if (status === 403) return ErrorCode.FORBIDDEN;
  if (status === 404) return ErrorCode.NOT_FOUND;
  if (status === 413) return ErrorCode.PAYLOAD_TOO_LARGE;
  if (status === 429) return ErrorCode.RATE_LIMITED;
  if (status >= 400 && status < 500) return ErrorCode.VALIDATION;
  return ErrorCode.INTERNAL;
}

export type ErrorHandlerOptions = {
  /**
   * Recognises a service's own infrastructure failures (its database unreachable) as a typed error,
   * so they get a stable code and a retryable status instead of a 500. The original is logged.
   */
  classify?: (error: unknown) => DomainError | undefined;
};

/**
 * The one error handler of a service: typed domain errors and Fastify's own errors become
 * `{statusCode, code, error, message}` with a stable `code`; 5xx never leak internals.
 */
export const errorHandlerPlugin = fp<ErrorHandlerOptions>(
  async (app: FastifyInstance, opts) => {
    app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
      const classified = error instanceof DomainError ? undefined : opts.classify?.(error);
      const domain = error instanceof DomainError ? error : classified;
      if (domain) {
        const status = domain.statusCode;
        // A classified failure logs its original (which never reaches the client); a typed one its message.
        if (status >= 500) {
          request.log.warn({ code: domain.code, err: classified ? error : domain.message }, 'dependency failure');
        }
        return reply.status(status).send({
          statusCode: status,
          code: domain.code,
          error: httpError(status),
          message: domain.message,
          ...domain.details,
        });
      }
      const code = codeFor(error);
      const status =
        code === ErrorCode.VALIDATION ? 400 : code === ErrorCode.INTERNAL ? 500 : (error.statusCode ?? 500);
      if (status >= 500) {
        request.log.error({ err: error }, 'unhandled error');
        return reply
          .status(500)
          .send({ statusCode: 500, code: ErrorCode.INTERNAL, error: httpError(500), message: 'Internal Server Error' });
      }
      return reply.status(status).send({ statusCode: status, code, error: httpError(status), message: error.message });
    });
    // POST /x/:id/confirm carries no body; a client that still sends `content-type: application/json`
    // should not get a 400 for it. Anything non-empty goes through Fastify's own (proto-safe) parser.
    const jsonParser = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (body === '') return done(null, undefined);
      return jsonParser(request, body.toString(), done);
    });
    app.setNotFoundHandler((request, reply) => {
      reply.status(404).send({
        statusCode: 404,
        code: ErrorCode.NOT_FOUND,
        error: 'Not Found',
        message: `Route ${request.method} ${request.url.split('?')[0]} not found`,
      });
    });
  },
  { name: 'error-handler', fastify: '5.x' },
);

const HTTP_ERRORS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};
function httpError(status: number): string {
  return HTTP_ERRORS[status] ?? 'Error';
}

/** The response schema every route declares for its error statuses. */
export const ErrorResponse = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
  additionalProperties: true,
} as const;
