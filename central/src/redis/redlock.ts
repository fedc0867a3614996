/**
 * The one typed entry point to redlock in central.
 *
 * redlock 5.0.0-beta.2 ships its declarations at dist/index.d.ts, but its package.json "exports" map has no
 * "types" condition, so `import Redlock from 'redlock'` is untyped under strict TypeScript (TS7016,
 * node-redlock #301). We take the types from the shipped declaration file (type-only, erased at run time)
 * and load the CommonJS build through its "require" export. Import redlock only from here.
 */
import { createRequire } from 'node:module';
import type RedlockClass from '../../../node_modules/redlock/dist/index';
import type {
  ExecutionError as ExecutionErrorClass,
  ResourceLockedError as ResourceLockedErrorClass,
} from '../../../node_modules/redlock/dist/index';

export type { ExecutionStats, Lock, Settings as RedlockSettings } from '../../../node_modules/redlock/dist/index';

type RedlockModule = {
  default: typeof RedlockClass;
  ExecutionError: typeof ExecutionErrorClass;
  ResourceLockedError: typeof ResourceLockedErrorClass;
};

const redlockModule = createRequire(import.meta.url)('redlock') as RedlockModule;

export const Redlock = redlockModule.default;
export type Redlock = RedlockClass;
export const ExecutionError = redlockModule.ExecutionError;
export type ExecutionError = ExecutionErrorClass;
export const ResourceLockedError = redlockModule.ResourceLockedError;
export type ResourceLockedError = ResourceLockedErrorClass;
