import type { Static, TObject } from '@sinclair/typebox';
import { envSchema } from 'env-schema';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates the environment against a TypeBox schema (env-schema/ajv coerces numbers and booleans
 * and applies defaults) and fails fast with one line naming the offending setting.
 */
export function loadConfig<T extends TObject>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): Static<T> {
  try {
    return envSchema<Static<T>>({ schema, data: env, dotenv: false });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`invalid configuration: ${message.replace(/^env\//, '').replace(/\n/g, '; ')}`);
  }
}
