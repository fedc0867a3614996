import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killOnTestExit } from './child-reaper';
import { freePort } from './nats-server';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const STORE_SERVER = `${ROOT}store-node/src/server.ts`;
export const CENTRAL_SERVER = `${ROOT}central/src/server.ts`;
/** The bundles `npm run build` writes (scripts/src/build.ts): what production, the demo and the bench run. */
export const BUILT_STORE_SERVER = `${ROOT}store-node/dist/server.js`;
export const BUILT_CENTRAL_SERVER = `${ROOT}central/dist/server.js`;

/**
 * Sources run through tsx; a bundle runs on plain node, its stack traces mapped back to the sources.
 * SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" makes every service a bench or test starts
 * write a profile (--cpu-prof is not allowed in NODE_OPTIONS).
 */
export function nodeArgsFor(entry: string): string[] {
  const extra = process.env.SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  return [...extra, ...(entry.endsWith('.ts') ? ['--import', 'tsx', entry] : ['--enable-source-maps', entry])];
}

class PortTakenError extends Error {}

/** Whether process `pid` holds a socket listening on `port` (Linux /proc; elsewhere: assume it does). */
function listensOn(pid: number, port: number): boolean {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8') + readFileSync('/proc/net/tcp6', 'utf8');
  } catch {
    return true;
  }
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    // local_address, state 0A = LISTEN, inode
    if (f[1]?.endsWith(suffix) && f[3] === '0A' && f[9]) inodes.add(f[9]);
  }
  const fdLink = (fd: string) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' });
    } catch {
      return ''; // closed meanwhile
    }
  };
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      const target = /^socket:\[(\d+)\]$/.exec(fdLink(fd));
      return target?.[1] !== undefined && inodes.has(target[1]);
    });
  } catch {
    return true;
  }
}

/**
 * A service (store node or central) as one real node process, from its sources or its bundle
 * (`nodeArgsFor`): no wrapper, so SIGKILL reaches the server itself. Restart keeps its port and environment.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private stderrText = '';
  private constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    readonly port: number,
  ) {}

  static async start(name: string, entry: string, env: Record<string, string>): Promise<ServiceProcess> {
    const fixed = env.PORT && env.PORT !== '0' ? Number(env.PORT) : undefined;
    // A port from freePort() is free when asked, not when the child binds it: another test's server
    // can take it in between, and then answers this one's /health. Try another port then.
    for (let attempt = 1; ; attempt++) {
      const service = new ServiceProcess(name, entry, env, fixed ?? (await freePort()));
      try {
        await service.launch();
        return service;
      } catch (error) {
        if (fixed !== undefined || !(error instanceof PortTakenError) || attempt >= 3) throw error;
      }
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The child's process id while it runs (e.g. to read its CPU time from /proc). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  private async launch(): Promise<void> {
    // SERVICE_LOG_DIR keeps each service's log (<name>.log, appended across restarts) for a failed run.
    const logDir = process.env.SERVICE_LOG_DIR;
    const out = logDir ? openSync(join(logDir, `${this.name}.log`), 'a') : 'ignore';
    const child = spawn(process.execPath, nodeArgsFor(this.entry), {
      cwd: ROOT,
      env: { ...process.env, HOST: '127.0.0.1', ...this.env, PORT: String(this.port) },
      stdio: ['ignore', out, 'pipe'],
    });
    if (typeof out === 'number') closeSync(out);
    this.child = child;
    killOnTestExit(child);
    child.stderr?.on('data', (d) => {
      this.stderrText = (this.stderrText + String(d)).slice(-20_000);
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        const message = `${this.name} exited during start-up: ${this.stderrText}`;
        throw this.stderrText.includes('EADDRINUSE') ? new PortTakenError(message) : new Error(message);
      }
      const ok = await fetch(`${this.url}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        if (child.pid !== undefined && !listensOn(child.pid, this.port)) {
          child.kill('SIGKILL');
          throw new PortTakenError(`${this.name}: another process answers on port ${this.port}`);
        }
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`${this.name} did not become healthy: ${this.stderrText}`);
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  /** SIGSTOP: the process hangs (open sockets, no answers), like a frozen machine; resume() continues it. */
  pause(): void {
    if (this.running) this.child?.kill('SIGSTOP');
  }

  resume(): void {
    if (this.running) this.child?.kill('SIGCONT');
  }

  kill9(): Promise<void> {
    return this.signal('SIGKILL');
  }

  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Starts again after a kill9/stop, same port and environment. */
  start(): Promise<void> {
    return this.launch();
  }
}
