import type { ChaosSummary } from './chaos-run';
import { chaosPassed } from './chaos-run';

/** The run's result as a short plain-text report: what was done, what was injected, what broke. */
export function formatSummary(s: ChaosSummary): string {
  const faults = Object.entries(s.faults)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const lines = [
    `chaos run, seed ${s.seed}: ${(s.elapsedMs / 1000).toFixed(0)} s`,
    `  operations          ${s.operationsRun} of ${s.operationsPlanned} planned`,
    `  faults injected     ${Object.values(s.faults).reduce((a, b) => a + b, 0)} (${faults || 'none'})`,
    `  acknowledged writes ${s.acknowledgedWrites} (${s.cutOffEvents} events written while a store was cut off)`,
    `  store events        ${s.storeEvents} at central; ${s.duplicatesPublished} duplicates re-published`,
    `  restored stores     ${s.faults['restore-store'] ?? 0} from a backup, ${s.faults['fork-store'] ?? 0} forked on it; ${s.restoredEvents} events replayed by store:recover, ${s.forkEventsReentered} fork events re-entered, ${s.forkEventsSkipped} left for a count${s.restoresSkipped.length ? `; skipped: ${s.restoresSkipped.join('; ')}` : ''}`,
    `  drained             ${s.drained ? 'yes' : 'NO (timed out)'}`,
    `  lost                ${s.violations.lost}`,
    `  double-applied      ${s.violations.doubleApplied}`,
    `  oversold units      ${s.violations.oversoldUnits}`,
    `  mismatches          ${s.violations.mismatches}`,
    `  ledger errors       ${s.violations.ledgerErrors}`,
    `  chain breaks        ${s.violations.chainBreaks}`,
    `  reconciliation drift ${s.violations.projectionDrift} (last check matched at ${s.reconciledStores.matched} of ${s.reconciledStores.of} stores)`,
    `  low-stock alerts    ${s.violations.alerts} wrong (${s.openAlerts} open at the end, each checked against its row)`,
    `  version regressions ${s.violations.regressions}`,
    `  transfer balance    ${s.violations.conservation}`,
    `  unexplained events  ${s.violations.unexplainedEvents}`,
    `  bad input accepted  ${s.violations.badInputAccepted}`,
    `  server errors       ${s.violations.serverErrors}`,
    `  unanswered requests ${s.violations.unanswered}`,
    `  verdict             ${chaosPassed(s) ? 'PASS' : 'FAIL'}`,
  ];
  if (s.examples.length > 0) lines.push('  examples:', ...s.examples.map((e) => `    ${e}`));
  return lines.join('\n');
}

export function formatStatuses(s: ChaosSummary): string {
  return Object.entries(s.statuses)
    .map(([key, n]) => `${key}: ${n}`)
    .join(', ');
}
