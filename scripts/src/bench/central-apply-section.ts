import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchSection } from './report';

const SCRIPT = fileURLToPath(new URL('../../../central/test/bench/apply-throughput.ts', import.meta.url));

type ApplyResult = { events: number; applyEventsPerSecond: number; rawBatchedInsertPerSecond: number; ratio: number };

/**
 * DESIGN §9: central apply throughput, 100k chained events of 10 stores waiting on the stream, next to
 * the same rows inserted in batches of 500 into the same ledger table in the same run. Runs central's
 * own benchmark script as a child process (central and the store node type Fastify differently).
 */
export const centralApplySection: BenchSection = {
  name: 'Central apply throughput',
  async run(ctx) {
    ctx.progress('100,000 events from 10 stores, one central replica catching up');
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, '100000', '10'], {
        env: { ...process.env, NATS_URL: ctx.natsUrl },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += String(d);
      });
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`apply bench exited ${code}`))));
    });
    const result = JSON.parse(output.slice(output.indexOf('{'))) as ApplyResult;
    return [
      {
        figure: `events applied/s (${result.events.toLocaleString('en-US')} events, 10 stores)`,
        value: result.applyEventsPerSecond,
        unit: 'events/s',
        rawLimit: result.rawBatchedInsertPerSecond,
        rawLimitLabel: 'same rows, batched PG insert',
        target: '≥ 20,000; aim ≥ 0.4× raw',
      },
    ];
  },
};
