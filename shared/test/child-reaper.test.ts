import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const dir = mkdtempSync(join(tmpdir(), 'stocksync-reaper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A test process that ends without its cleanup (vitest's SIGTERM to a worker, Ctrl-C, a plain exit)
 * takes the servers it started with it. Each case runs a small program that starts a server the way
 * the helpers do and then ends one of those ways.
 */
describe('servers started by a test process end with it', () => {
  const reaper = new URL('../testing/child-reaper.ts', import.meta.url).pathname;
  const run = (ending: string, name: string) => {
    const pidFile = join(dir, `${name}.pid`);
    const program = join(dir, `${name}.ts`);
    writeFileSync(
      program,
      [
        `import { spawn } from 'node:child_process';`,
        `import { writeFileSync } from 'node:fs';`,
        `import { killOnTestExit } from ${JSON.stringify(reaper)};`,
        `const server = spawn('sleep', ['600'], { stdio: 'ignore' });`,
        'killOnTestExit(server);',
        `writeFileSync(${JSON.stringify(pidFile)}, String(server.pid));`,
        ending,
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', program], { stdio: 'ignore' });
    return { child, pidFile };
  };
  const serverPid = async (pidFile: string) => {
    for (;;) {
      const pid = Number(readFileSync(pidFile, { encoding: 'utf8', flag: 'a+' }));
      if (Number.isInteger(pid) && pid > 1) return pid; // never 0: kill(0) means our own group
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it.each([
    ['SIGTERM', 'setInterval(() => undefined, 1000);', 'SIGTERM'],
    ['SIGINT', 'setInterval(() => undefined, 1000);', 'SIGINT'],
    ['a plain exit', 'process.exit(3);', null],
  ] as const)(
    'when it gets %s',
    async (name, ending, signal) => {
      const { child, pidFile } = run(ending, name.replace(/\W/g, '-'));
      const exited = new Promise((r) => child.once('exit', r));
      const pid = await serverPid(pidFile);
      if (signal) child.kill(signal);
      await exited;
      // SIGKILL is delivered before kill() returns; the zombie is reaped by init right after.
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
      const outlived = alive(pid);
      if (outlived) execFileSync('kill', ['-9', String(pid)]);
      expect(outlived).toBe(false);
    },
    30_000,
  );
});
