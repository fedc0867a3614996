import { prng, randomPosOperation } from '../chain/pos-traffic';
import type { DemoStore } from './demo-chain';

export type StoreTally = { ops: number; sales: number; refused: number; failed: number; unreachable: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * POS terminals per store sending random sales, returns, receipts, holds, confirms/cancels and
 * adjustments at a steady, machine-friendly pace. A stopped store's terminals wait for it.
 */
export class PosSimulator {
  readonly tallies = new Map<string, StoreTally>();
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly stores: readonly DemoStore[],
    private readonly skus: readonly string[],
    private readonly opts: { terminalsPerStore: number; pauseMs: number; seed: number },
  ) {
    for (const s of stores) this.tallies.set(s.storeId, { ops: 0, sales: 0, refused: 0, failed: 0, unreachable: 0 });
  }

  start(): void {
    this.loops = this.stores.flatMap((store, i) =>
      Array.from({ length: this.opts.terminalsPerStore }, (_, t) =>
        this.terminal(store, prng(this.opts.seed + i * 100 + t)),
      ),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled(this.loops);
  }

  private async terminal(store: DemoStore, random: () => number): Promise<void> {
    const tally = this.tallies.get(store.storeId) as StoreTally;
    const holds: string[] = [];
    while (!this.stopped) {
      if (!store.runner.running) {
        await sleep(500);
        continue;
      }
      try {
        const { op, status } = await randomPosOperation(store.client, this.skus, random, holds);
        tally.ops++;
        if (op === 'sale' && status === 201) tally.sales++;
        if (status === 409) tally.refused++;
        else if (status >= 400) tally.failed++;
      } catch {
        // The process is stopping or starting: the terminal retries once it answers again.
        tally.unreachable++;
      }
      await sleep(this.opts.pauseMs * (0.5 + random()));
    }
  }
}
