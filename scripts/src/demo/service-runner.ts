import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeArgsFor } from '@stocksync/shared/testing';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One service (central or a store node) as a plain `node` child process (its bundle) with its own
 * log file. The child gets its own process group, so a terminal Ctrl-C reaches only the demo, which
 * then stops the children in order (stores before central) with SIGTERM.
 */
export class ServiceRunner {
  private child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    readonly port: number,
    private readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once GET /health answers 200. */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.running) return;
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, nodeArgsFor(this.entry), {
      cwd: ROOT,
      env: { ...process.env, ...this.env, PORT: String(this.port) },
      stdio: ['ignore', log, log],
      detached: true,
    });
    closeSync(log);
    this.child = child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited during start-up; see ${this.logFile}`);
      const healthy = await fetch(`${this.url}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (healthy) return;
      await sleep(200);
    }
    child.kill('SIGKILL');
    throw new Error(`${this.name} did not become healthy within ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** SIGTERM (the service drains and closes), SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Last resort when the demo itself is exiting: no waiting. */
  killNow(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }
}
