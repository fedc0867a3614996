import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false } as const;
// Bodies are JSON: a quantity sent as "5" is a client bug to report, not to coerce.
const bodies = addFormats(new Ajv({ ...options, coerceTypes: false }));
// Querystrings, params and headers are text by nature: coerce, and apply defaults.
const text = addFormats(new Ajv({ ...options, coerceTypes: 'array' }));

/** Strict JSON bodies, coerced querystrings; unknown fields rejected (schemas say additionalProperties: false). */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodies : text).compile(schema as object);
