import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireInstanceLock, InstanceLockedError } from '../src/db/instance-lock';
import { runStoreToExit, startStoreProcess } from './support/store-process';
import { createTestStore, storeEnv } from './support/test-store';

describe('one process per store database (two would seal the same seq twice: a fork)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stocksync-lock-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a second node on the same data directory refuses to start; closing the first frees it', async () => {
    const first = await createTestStore({ dataDir });
    expect(() => acquireInstanceLock(dataDir, 's1')).toThrow(InstanceLockedError);
    await expect(createTestStore({ dataDir })).rejects.toThrow(InstanceLockedError);
    // Another store's file in the same directory is its own lock.
    acquireInstanceLock(dataDir, 's2').release();
    await first.close();
    acquireInstanceLock(dataDir, 's1').release();
  });

  it('a node process holds it; kill -9 releases it with the process (no stale lock to remove by hand)', async () => {
    const env = storeEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'error' });
    const proc = await startStoreProcess(env);
    const second = await runStoreToExit({ ...env, PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already runs on this data directory');
    expect(() => acquireInstanceLock(dataDir, 's1')).toThrow(InstanceLockedError);
    proc.child.kill('SIGKILL');
    await proc.exited;
    acquireInstanceLock(dataDir, 's1').release();
  });
});
