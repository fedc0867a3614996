import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { seedStore } from '../../store-node/src/seed-store';
import { eventually, http } from './helpers/http-client';
import { type ProcessChain, startProcessChain } from './helpers/process-chain';

type Rule = {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string };
};
const RULES_FILE = new URL('../../deploy/prometheus/alerts.yml', import.meta.url);
const rules = (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap(
  (g) => g.rules,
);
/** Made by Prometheus itself, not by a service. */
const PROMETHEUS_OWN = new Set(['up']);

type Selector = { metric: string; equal: Array<[string, string]> };

/** Every metric selector of a PromQL expression, with its `label="value"` matchers; throws on a syntax error. */
function selectorsOf(expr: string): Selector[] {
  const selectors: Selector[] = [];
  let errors = 0;
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors++;
      if (node.name !== 'VectorSelector') return;
      const metric = node.node.getChild('Identifier');
      const equal: Array<[string, string]> = [];
      for (const matcher of node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const text = (name: string) => {
          const child = matcher.getChild(name);
          return child ? expr.slice(child.from, child.to) : '';
        };
        if (text('MatchOp') === '=') equal.push([text('LabelName'), JSON.parse(text('StringLiteral')) as string]);
      }
      if (metric) selectors.push({ metric: expr.slice(metric.from, metric.to), equal });
    },
  });
  if (errors > 0) throw new Error(`PromQL syntax error in: ${expr}`);
  return selectors;
}

/** The metric a series name belongs to: a histogram's _bucket/_count/_sum are its own. */
const declared = (metrics: string, series: string) =>
  [series, series.replace(/_(bucket|count|sum)$/, '')].some((name) => metrics.includes(`\n# TYPE ${name} `));

describe('deploy/prometheus/alerts.yml', () => {
  let chain: ProcessChain;
  let scraped: string;

  beforeAll(async () => {
    chain = await startProcessChain({ name: 'alerts' });
    await seedStore({
      dataDir: chain.storeDir('a1'),
      storeId: 'a1',
      products: [{ sku: 'A-1', name: 'A', price: '1.00' }],
      openingStock: () => 10,
    });
    const store = await chain.startStore('a1');
    const sale = await http(store.url, chain.tokens.store, 'POST', '/sales', { lines: [{ sku: 'A-1', qty: 1 }] });
    expect(sale.status).toBe(201);
    // Central knows the store once its first events or heartbeat arrive: then its central_store_* series exist.
    const central = await eventually(
      'central_store_online of a1 on central /metrics',
      async () => (await fetch(`${chain.central.url}/metrics`)).text(),
      (text) => text.includes('central_store_online{store_id="a1"'),
      30_000,
    );
    scraped = `\n${central}\n${await (await fetch(`${store.url}/metrics`)).text()}`;
  }, 120_000);
  afterAll(async () => {
    await chain?.stop();
  });

  it('has well-formed rules with a severity and a summary', () => {
    expect(rules.length).toBeGreaterThan(10);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^Stocksync[A-Z][A-Za-z]+$/);
      expect(['warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
    }
  });

  it('names only metrics the services serve, with label values their series carry', () => {
    const problems: string[] = [];
    for (const rule of rules) {
      for (const { metric, equal } of selectorsOf(rule.expr)) {
        if (PROMETHEUS_OWN.has(metric)) continue;
        if (!declared(scraped, metric)) {
          problems.push(`${rule.alert}: no service serves ${metric}`);
          continue;
        }
        if (equal.length === 0) continue;
        const series = scraped.split('\n').filter((line) => line.startsWith(`${metric}{`));
        const matching = series.filter((line) => equal.every(([label, value]) => line.includes(`${label}="${value}"`)));
        if (matching.length === 0) problems.push(`${rule.alert}: no ${metric} series with ${JSON.stringify(equal)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('refuses what it should: a syntax error and a metric nobody serves', () => {
    expect(() => selectorsOf('sum(rate(central_apply_errors_total[5m]) >')).toThrow(/syntax/);
    expect(declared(scraped, 'central_apply_latency_seconds_bucket')).toBe(true);
    expect(declared(scraped, 'central_apply_latency_recent_seconds')).toBe(false);
  });
});
