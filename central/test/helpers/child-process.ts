import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killOnTestExit } from '@stocksync/shared/testing';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs central's real entry point (`tsx central/src/server.ts`) as its own process. */
export function spawnCentral(
  env: Record<string, string>,
): ChildProcess & { output: () => { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'central/src/server.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_NO_WARNINGS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnTestExit(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return Object.assign(child, { output: () => ({ stdout, stderr }) });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
