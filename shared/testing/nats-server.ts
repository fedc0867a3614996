import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killOnTestExit } from './child-reaper';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, up: boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open === up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not go ${up ? 'up' : 'down'}`);
}

/**
 * A private nats-server with JetStream on a spare port, for tests that stop and restart NATS.
 * The shared server on 4222 is never touched. Restart keeps the port and the store directory,
 * so streams survive like a real restart.
 */
export class TestNatsServer {
  private child: ChildProcess | undefined;
  private readonly storeDir = mkdtempSync(join(tmpdir(), 'stocksync-nats-'));
  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  static async start(extraArgs: string[] = []): Promise<TestNatsServer> {
    const server = new TestNatsServer(await freePort(), extraArgs);
    await server.startProcess();
    return server;
  }

  /** A spare port with no server on it yet ("NATS comes up later"); `restart()` starts it. */
  static async notStarted(extraArgs: string[] = []): Promise<TestNatsServer> {
    return new TestNatsServer(await freePort(), extraArgs);
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  private async startProcess(): Promise<void> {
    const binary = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
    this.child = spawn(
      binary,
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...this.extraArgs],
      {
        stdio: 'ignore',
      },
    );
    killOnTestExit(this.child);
    await waitForPort(this.port, true);
  }

  /** SIGKILL: no goodbye to clients, like a crash or a cut cable. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await waitForPort(this.port, false);
  }

  /** SIGSTOP: a hung server rather than a dead one; its connections stay open and silent until thaw(). */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.startProcess();
  }

  /** Killed and started again with an empty store directory: every stream, consumer and KV bucket is gone. */
  async restartEmpty(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
    mkdirSync(this.storeDir);
    await this.startProcess();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
