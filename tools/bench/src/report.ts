import type { Measurement, ScenarioReport } from './harness';

/** A plain-text table of scenario reports, for people. JSON goes elsewhere, for machines. */
export function formatReportTable(reports: readonly ScenarioReport[]): string {
  const rows: string[][] = [['scenario', 'workload', 'ops', 'ops/s', 'p50 ms', 'p95 ms', 'ratio', 'target']];
  for (const report of reports) {
    const target = report.target === undefined ? '' : `${report.target.met ? 'met' : 'MISSED'} (${'minRatio' in report.target ? `≥ ${report.target.minRatio}` : `p95 ≤ ${report.target.maxSubjectP95Ms} ms`})`;
    rows.push(row(report.scenario, 'baseline', report.baseline, '', ''));
    rows.push(row('', 'subject', report.subject, report.ratio.toFixed(3), target));
  }
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ').trimEnd()).join('\n');
}

function row(scenario: string, role: string, m: Measurement, ratio: string, target: string): string[] {
  return [
    scenario,
    `${role}: ${m.name}`,
    String(m.operations),
    m.opsPerSecond.toFixed(0),
    m.p50Ms === undefined ? '' : m.p50Ms.toFixed(2),
    m.p95Ms === undefined ? '' : m.p95Ms.toFixed(2),
    ratio,
    target,
  ];
}
