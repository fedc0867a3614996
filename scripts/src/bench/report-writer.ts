import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { mergeCharts, renderChartSvg } from './chart-renderer';
import { type ChartLink, type LoadSettings, type MachineInfo, renderMarkdown, type SectionOutcome } from './report';

export interface WrittenReport {
  reportPath: string;
  chartPaths: string[];
}

/**
 * Writes `<dir>/<reportName>` and its charts as `<dir>/<chartFolder>/<id>.svg`. SVGs left from an earlier run
 * are removed first, so the folder holds only charts the report links.
 */
export async function writeReport(opts: {
  dir: string;
  reportName: string;
  chartFolder: string;
  outcomes: SectionOutcome[];
  machine: MachineInfo;
  load: LoadSettings;
}): Promise<WrittenReport> {
  const chartDir = join(opts.dir, opts.chartFolder);
  mkdirSync(chartDir, { recursive: true });
  for (const file of readdirSync(chartDir)) if (file.endsWith('.svg')) rmSync(join(chartDir, file));
  const links: ChartLink[] = [];
  const chartPaths: string[] = [];
  for (const chart of mergeCharts(opts.outcomes.flatMap((o) => o.charts ?? []))) {
    const file = `${basename(chart.id)}.svg`;
    const path = join(chartDir, file);
    writeFileSync(path, await renderChartSvg(chart));
    chartPaths.push(path);
    links.push({ title: chart.title, path: `${opts.chartFolder}/${file}` });
  }
  const reportPath = join(opts.dir, opts.reportName);
  writeFileSync(reportPath, renderMarkdown(opts.outcomes, opts.machine, opts.load, links));
  return { reportPath, chartPaths };
}
