import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of the package a module belongs to: the nearest one above it with a package.json.
 * Files that ship beside the code (migrations, dashboard assets) are found from here, so the same
 * path holds for `src/db/x.ts` run through tsx and for the bundled `dist/server.js`.
 */
export function packageDir(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${moduleUrl}`);
    dir = parent;
  }
  return dir;
}
