/**
 * What one message between two processes costs on this machine, at a trickle and back to back. Every
 * hop of a hold or a synced sale is such a message (HTTP, Redis, PostgreSQL, NATS); on a VM a process
 * woken from idle pays several times the CPU of one that is already running (architecture.md,
 * 2026-12-05 fifth session), which is why CPU per operation falls as the rate rises.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { processCpuMs } from './cpu-usage';

/** A TCP echo server on a spare loopback port; prints the port, then echoes every chunk. */
const ECHO_SERVER = `
const server = require('node:net').createServer((s) => { s.setNoDelay(true); s.on('data', (d) => s.write(d)); });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

export interface LoopbackResult {
  /** CPU of both processes per request/response, µs, at each paced rate and back to back (rate 0). */
  runs: Array<{ rate: number; achievedPerSec: number; cpuUsPerRoundTrip: number }>;
}

export async function measureLoopbackRoundTrip(
  opts: { rates?: number[]; seconds?: number } = {},
): Promise<LoopbackResult> {
  const rates = opts.rates ?? [100, 1_000, 0];
  const seconds = opts.seconds ?? 3;
  const child = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`echo server exited (${code}) before listening`)));
    });
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise((resolve) => socket.once('connect', resolve));
    const message = Buffer.alloc(300, 'x');
    let answered: (() => void) | undefined;
    socket.on('data', () => answered?.());
    const roundTrip = () =>
      new Promise<void>((resolve) => {
        answered = resolve;
        socket.write(message);
      });

    const result: LoopbackResult = { runs: [] };
    for (const rate of rates) {
      const cpuBefore = processCpuMs(process.pid) + processCpuMs(child.pid);
      const until = performance.now() + seconds * 1000;
      let roundTrips = 0;
      while (performance.now() < until) {
        const started = performance.now();
        await roundTrip();
        roundTrips++;
        // Paced: sleep out the rest of the interval, so both processes go idle between messages.
        const rest = rate > 0 ? 1000 / rate - (performance.now() - started) : 0;
        if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
      }
      const cpuMs = processCpuMs(process.pid) + processCpuMs(child.pid) - cpuBefore;
      result.runs.push({ rate, achievedPerSec: roundTrips / seconds, cpuUsPerRoundTrip: (cpuMs * 1000) / roundTrips });
    }
    socket.destroy();
    return result;
  } finally {
    child.kill('SIGKILL');
  }
}
