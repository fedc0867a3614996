import { describe, expect, it } from 'vitest';
import { runStoreToExit } from './support/store-process';

describe('configuration', () => {
  it.each([
    [{ STORE_TOKEN: 'long-enough-token' }, 'STORE_ID'],
    [{ STORE_ID: 's1' }, 'STORE_TOKEN'],
    [{ STORE_ID: 's1', STORE_TOKEN: 'long-enough-token', PORT: 'eighty' }, 'PORT'],
    [{ STORE_ID: 'S 1', STORE_TOKEN: 'long-enough-token' }, 'STORE_ID'],
    [{ STORE_ID: 's1', STORE_TOKEN: 'short' }, 'STORE_TOKEN'],
    [{ STORE_ID: 's1', STORE_TOKEN: 'long-enough-token', STORE_TOKEN_PREVIOUS: 'short' }, 'STORE_TOKEN_PREVIOUS'],
    [
      { STORE_ID: 's1', STORE_TOKEN: 'long-enough-token', STORE_TOKEN_PREVIOUS: 'long-enough-token' },
      'STORE_TOKEN_PREVIOUS must differ from STORE_TOKEN',
    ],
  ])('a bad or missing setting stops start-up with one line naming it (%o)', async (env, name) => {
    const { code, stderr } = await runStoreToExit({ DATA_DIR: '/tmp/stocksync-never-used', ...env });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
  });
});
