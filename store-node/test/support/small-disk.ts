import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort, killOnTestExit, nodeArgsFor, STORE_SERVER } from '@stocksync/shared/testing';

export type SmallDiskStore = {
  url: string;
  /** The running node (null once it exited). */
  exitCode: () => number | null;
  /** Takes every byte left on the disk. */
  fill: () => void;
  /** Frees what `fill` and the initial filler took. */
  free: () => void;
  /** SIGTERM to the node; resolves with its exit code once it is gone (the disk stays readable). */
  stop: () => Promise<number>;
  /** Where a file of the data dir is, seen from outside the store's mount namespace. */
  pathOf: (file: string) => string;
  /**
   * `PRAGMA wal_checkpoint(TRUNCATE)` on the database `file`, from a process inside the store's mount
   * namespace (SQLite resolves `/proc/<pid>/root` to `/` and would miss the file from outside).
   * Returns the pragma's row.
   */
  truncateWal: (file: string) => { busy: number; log: number; checkpointed: number };
  /** Copies the data dir's files out of the small disk (after `stop`, to read them with SQLite). */
  copyOut: (to: string) => void;
  /** Kills whatever still runs and lets the disk go. */
  dispose: () => void;
};

const SQLITE_DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');
const EXITED = /^store exited (\d+)$/m;

/**
 * A real store node process whose DATA_DIR is a tmpfs of `sizeBytes`, mounted in a private mount
 * namespace (`unshare`; root is not needed where user namespaces are allowed), holding a copy of
 * `seedDir` and a filler file of `fillerBytes`. The disk really fills: SQLite gets ENOSPC and answers
 * SQLITE_FULL, as on a store PC whose disk ran out. A shell keeps the namespace (and the disk) alive
 * after the node exits, until `dispose`; the test reaches the files through `/proc/<shell>/root`.
 */
export async function startStoreOnSmallDisk(opts: {
  env: Record<string, string>;
  seedDir: string;
  dataDir: string;
  sizeBytes: number;
  fillerBytes: number;
}): Promise<SmallDiskStore> {
  const port = await freePort();
  const script = [
    'set -e',
    `mount -t tmpfs -o size=${opts.sizeBytes} tmpfs "$DATA_DIR"`,
    'cp -a "$SEED_DIR"/. "$DATA_DIR"/',
    `head -c ${opts.fillerBytes} /dev/zero > "$DATA_DIR/filler"`,
    'set +e',
    '"$NODE_BIN" "$@" &',
    'node=$!',
    "trap 'termed=1; kill -TERM $node' TERM",
    'wait $node; code=$?',
    // A wait the trap interrupted returns early: wait again for the node's own exit status.
    'if [ -n "$termed" ]; then wait $node; code=$?; fi',
    'echo "store exited $code"',
    'cat > /dev/null',
  ].join('\n');
  const child = spawn(
    'unshare',
    ['--user', '--map-root-user', '--mount', 'sh', '-c', script, 'sh', ...nodeArgsFor(STORE_SERVER)],
    {
      env: {
        ...process.env,
        ...opts.env,
        DATA_DIR: opts.dataDir,
        SEED_DIR: opts.seedDir,
        NODE_BIN: process.execPath,
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, so dispose() also reaches the node behind the shell
    },
  );
  killOnTestExit(child, () => process.kill(-child.pid!, 'SIGKILL'));
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const nodeExit = new Promise<number>((resolve, reject) => {
    const check = () => {
      const match = EXITED.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout?.on('data', check);
    child.once('exit', () => reject(new Error(`the small-disk shell ended: ${output}`)));
  });
  let exitCode: number | null = null;
  nodeExit.then(
    (code) => {
      exitCode = code;
    },
    () => undefined,
  );
  const inside = (file: string) => `/proc/${child.pid}/root${join(opts.dataDir, file)}`;
  const dispose = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || exitCode !== null) break;
    try {
      if ((await fetch(`${url}/health`)).ok) {
        return {
          url,
          exitCode: () => exitCode,
          fill: () => fillUp(inside('filler-2')),
          free: () => {
            rmSync(inside('filler'), { force: true });
            rmSync(inside('filler-2'), { force: true });
          },
          stop: () => {
            child.kill('SIGTERM');
            return nodeExit;
          },
          pathOf: inside,
          truncateWal: (file) => {
            const code = [
              `const db = new (require(${JSON.stringify(SQLITE_DRIVER)}))(process.argv[1], { fileMustExist: true });`,
              `db.pragma('busy_timeout = 5000');`,
              `console.log(JSON.stringify(db.pragma('wal_checkpoint(TRUNCATE)')[0]));`,
              'db.close();',
            ].join('\n');
            const args = ['-t', String(child.pid), '-U', '-m', '--preserve-credentials', process.execPath];
            const out = execFileSync('nsenter', [...args, '-e', code, join(opts.dataDir, file)], { encoding: 'utf8' });
            return JSON.parse(out) as { busy: number; log: number; checkpointed: number };
          },
          copyOut: (to) => {
            for (const file of readdirSync(inside(''))) {
              if (file.startsWith('store-')) copyFileSync(inside(file), join(to, file));
            }
          },
          dispose,
        };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  dispose();
  throw new Error(`store did not become healthy: ${output}`);
}

function fillUp(file: string): void {
  const chunk = Buffer.alloc(4096);
  for (;;) {
    try {
      appendFileSync(file, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw error;
    }
  }
}
