/**
 * redlock 5.0.0-beta.2 ships its types at dist/index.d.ts but its package.json "exports" has no "types"
 * condition, so TypeScript cannot type `import Redlock from 'redlock'` (node-redlock issue #301). Load the
 * CommonJS build and type it from the shipped declaration file instead.
 */
import { createRequire } from 'node:module';
import type RedlockClass from '../../../node_modules/redlock/dist/index';

export type { Lock } from '../../../node_modules/redlock/dist/index';

const require = createRequire(import.meta.url);
const redlockModule = require('redlock') as { default: typeof RedlockClass };

export const Redlock = redlockModule.default;
export type Redlock = RedlockClass;
