import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { killOnTestExit } from './child-reaper';
import { freePort } from './nats-server';

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A private redis-server on a spare port (no persistence), for tests that kill Redis. The shared
 * server on 6379 is never touched. Restart keeps the port.
 */
export class TestRedisServer {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort());
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    const binary = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    this.child = spawn(binary, args, { stdio: 'ignore' });
    killOnTestExit(this.child);
    const deadline = Date.now() + 10_000;
    while (!(await portOpen(this.port))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not open port ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL: connections drop without a goodbye. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
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
    await this.launch();
  }

  stop(): Promise<void> {
    return this.kill();
  }
}
