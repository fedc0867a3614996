import { type ChildProcess, spawn } from 'node:child_process';
import { freePort, killOnTestExit, nodeArgsFor, STORE_SERVER } from '@stocksync/shared/testing';

export type StoreProcess = { child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> };

/** Starts `store-node/src/server.ts` as one real node process (no tsx wrapper, so SIGKILL hits the server) and waits for /health. */
export async function startStoreProcess(env: Record<string, string>): Promise<StoreProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, nodeArgsFor(STORE_SERVER), {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  killOnTestExit(child);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`store exited early: ${stderr}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { child, url, stderr: () => stderr, exited };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`store did not become healthy: ${stderr}`);
}

/** Runs the server with this environment and returns its exit code and stderr (for config errors). */
export async function runStoreToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, nodeArgsFor(STORE_SERVER), {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  killOnTestExit(child);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}
