import type { ChildProcess } from 'node:child_process';

/** How to kill each server this test process started and has not yet seen exit. */
const kills = new Set<() => void>();
let installed = false;

function killAll(): void {
  for (const kill of kills) {
    try {
      kill();
    } catch {
      // gone already
    }
  }
  kills.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAll);
  // vitest ends its workers with SIGTERM (Ctrl-C sends SIGINT): a server left by a test whose cleanup
  // timed out or never ran would outlive the run, holding its port, its CPU and its temp directory.
  // A program with a handler of its own (bench, chaos: they stop their servers gracefully) keeps it,
  // and 'exit' catches what it leaves.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      if (process.listenerCount(signal) > 0) return;
      killAll();
      process.kill(process.pid, signal); // no listener left: the default action ends the process
    });
  }
}

/**
 * Kills `child` (SIGKILL, or `kill` for one that has processes of its own) if this process ends while
 * it still runs. Every helper that spawns a server registers it here.
 */
export function killOnTestExit(child: ChildProcess, kill: () => void = () => child.kill('SIGKILL')): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  install();
  kills.add(kill);
  child.once('exit', () => kills.delete(kill));
}
