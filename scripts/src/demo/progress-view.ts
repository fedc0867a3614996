import { httpCall } from '../chain/http-client';
import type { DemoChain } from './demo-chain';
import type { PosSimulator } from './pos-simulator';

type StoreSync = { online: boolean; pending: number; lastSeq: number };
type CentralSync = { storeId: string; online: boolean; lastSeq: number; lagMs: number | null };
type Alert = { storeId: string };

/** A column `width` wide, or wider: a value that outgrows it still keeps one space before the next. */
const pad = (value: string | number, width: number) => `${String(value).padEnd(width - 1)} `;
const clock = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

async function quietGet<T>(client: { url: string; token: string }, path: string): Promise<T | undefined> {
  try {
    const res = await httpCall<T>(client, 'GET', path);
    return res.status === 200 ? res.body : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Redraws a per-store status table every second: sales, outbox depth, NATS link, central's view
 * (online, applied seq, lag) and open low-stock alerts. In a terminal the table is redrawn in place;
 * in a log (no TTY) it is printed as a block each second.
 */
export class ProgressView {
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  private readonly notes: string[] = [];
  private started = Date.now();
  private readonly tty = process.stdout.isTTY === true;
  private lastOps = new Map<string, number>();

  constructor(
    private readonly chain: DemoChain,
    private readonly simulator: PosSimulator,
  ) {}

  start(): void {
    this.started = Date.now();
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.draw().finally(() => {
        busy = false;
      });
    }, 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A scenario line: kept under the table in a terminal, printed at once otherwise. */
  note(line: string): void {
    const stamped = `[${clock(Date.now() - this.started)}] ${line}`;
    this.notes.push(stamped);
    if (this.notes.length > 6) this.notes.shift();
    if (!this.tty) process.stdout.write(`${stamped}\n`);
  }

  private async draw(): Promise<void> {
    const [central, alerts, stores] = await Promise.all([
      quietGet<{ items: CentralSync[] }>(this.chain.viewer, '/sync'),
      quietGet<{ items: Alert[]; nextCursor: string | null }>(this.chain.viewer, '/alerts?status=open&limit=500'),
      Promise.all(
        this.chain.stores.map(async (s) => (s.runner.running ? quietGet<StoreSync>(s.client, '/sync') : undefined)),
      ),
    ]);
    const header = `${pad('store', 6)}${pad('process', 9)}${pad('sales', 7)}${pad('ops/s', 7)}${pad('outbox', 8)}${pad('NATS', 9)}${pad('central', 9)}${pad('applied', 13)}${pad('lag ms', 8)}alerts`;
    const rows = this.chain.stores.map((store, i) => {
      const tally = this.simulator.tallies.get(store.storeId);
      const ops = tally?.ops ?? 0;
      const rate = ops - (this.lastOps.get(store.storeId) ?? ops);
      this.lastOps.set(store.storeId, ops);
      const local = stores[i];
      const remote = central?.items.find((c) => c.storeId === store.storeId);
      const open = alerts?.items.filter((a) => a.storeId === store.storeId).length ?? 0;
      return [
        pad(store.storeId, 6),
        pad(store.runner.running ? 'up' : 'STOPPED', 9),
        pad(tally?.sales ?? 0, 7),
        pad(rate, 7),
        pad(local ? local.pending : '-', 8),
        pad(local ? (local.online ? 'online' : 'OFFLINE') : '-', 9),
        pad(remote ? (remote.online ? 'online' : 'OFFLINE') : '-', 9),
        pad(remote ? `${remote.lastSeq}/${local?.lastSeq ?? '?'}` : '-', 13),
        pad(remote?.lagMs ?? '-', 8),
        `${open}${alerts?.nextCursor ? '+' : ''}`,
      ].join('');
    });
    const title = `Stocksync demo ${clock(Date.now() - this.started)}  central ${this.chain.central.url}  ${central ? '' : '(central not answering)'}`;
    const lines = [title, header, ...rows];
    if (this.tty) {
      lines.push('', ...this.notes, '', 'Ctrl-C stops every process cleanly.');
      const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : '';
      process.stdout.write(`${up}\x1b[J${lines.join('\n')}\n`);
      this.drawnLines = lines.length;
    } else {
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  }
}
