import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killOnTestExit } from './child-reaper';
import { freePort } from './nats-server';

/** The PostgreSQL server binaries (Debian keeps them per major version; PG_BIN_DIR overrides). */
function binDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql; set PG_BIN_DIR');
  return join(root, versions[0]!, 'bin');
}

/** PostgreSQL refuses to run as root: there, it runs as the `postgres` account the Debian package creates. */
function serverUser(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString());
  return { uid: id('-u'), gid: id('-g') };
}

function childPids(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // Fields after the parenthesized command: state, then the parent's pid.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * A private PostgreSQL cluster on a spare port, for tests that kill the database. The shared server on
 * 5432 is never touched. kill() is a crash (SIGKILL to the postmaster and every backend); restart()
 * starts it on the same data directory, so it goes through crash recovery like a real restart.
 */
export class TestPostgresServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<TestPostgresServer> {
    const root = mkdtempSync(join(tmpdir(), 'stocksync-pg-'));
    const dataDir = join(root, 'data');
    const user = serverUser();
    if ('uid' in user) chownSync(root, user.uid, user.gid);
    execFileSync(join(binDir(), 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync'], {
      stdio: 'ignore',
      ...user,
    });
    const server = new TestPostgresServer(await freePort(), dataDir);
    await server.launch();
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private async launch(): Promise<void> {
    const args = [
      '-D',
      this.dataDir,
      '-p',
      String(this.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${join(this.dataDir, '..')}`,
      '-c',
      'fsync=off',
    ];
    // Detached, so the test runner's Ctrl-C does not reach it; kill() signals every process of it.
    this.child = spawn(join(binDir(), 'postgres'), args, { stdio: 'ignore', detached: true, ...serverUser() });
    killOnTestExit(this.child, () => this.signalAll('SIGKILL'));
    const [isReady, readyArgs] = [join(binDir(), 'pg_isready'), ['-h', '127.0.0.1', '-p', String(this.port)]];
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        execFileSync(isReady, readyArgs, { stdio: 'ignore' });
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections on ${this.port}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** SIGKILL to the whole server: connections drop without a goodbye, new ones are refused. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    // Every backend at once, as when the machine under it dies (not left to notice the postmaster gone).
    this.signalAll('SIGKILL');
    await exited;
    // Wait until no process of it holds the port before a restart binds it.
    const deadline = Date.now() + 10_000;
    while (existsSync(join(this.dataDir, 'postmaster.pid')) && Date.now() < deadline) {
      try {
        // stderr too: where /proc of other users is closed, fuser complains about every one of them.
        execFileSync('fuser', ['-s', `${this.port}/tcp`], { stdio: 'ignore' });
      } catch {
        break; // nothing listens any more
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * SIGSTOP to the whole server: a hung database rather than a dead one. The kernel still accepts its
   * connections and data, nothing answers, nothing is refused, until thaw(). Each backend is a session
   * leader of its own (PostgreSQL calls setsid), so they are signalled one by one (signalAll).
   */
  freeze(): void {
    this.signalAll('SIGSTOP');
  }

  thaw(): void {
    this.signalAll('SIGCONT');
  }

  private signalAll(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid || this.child?.exitCode !== null || this.child.signalCode !== null) return;
    // Held first, so it forks nothing meanwhile and its backends are still its children while they are
    // listed: a postmaster killed before the listing leaves them to init, and the list comes out empty.
    process.kill(pid, 'SIGSTOP');
    const backends = childPids(pid);
    process.kill(pid, signal);
    for (const child of backends) {
      try {
        process.kill(child, signal);
      } catch {
        // exited in between
      }
    }
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }
}
