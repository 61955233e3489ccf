import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runScenario, type Scenario, type ScenarioReport } from './harness';
import { formatReportTable } from './report';
import { auditLagScenario } from './scenarios/audit-lag.scenario';
import { auditGatewayWritesScenario } from './scenarios/audit-gateway-writes.scenario';
import { auditPipelineBareScenario, auditPipelineScenario, auditPipelineVsBareScenario } from './scenarios/audit-pipeline.scenario';
import { gatewayAuthScenario } from './scenarios/gateway-auth.scenario';
import { kafkaRoundtripScenario } from './scenarios/kafka-roundtrip.scenario';
import { loginStallScenario } from './scenarios/login-stall.scenario';
import { pgSelectScenario } from './scenarios/pg-select.scenario';
import { projectGetBareScenario, projectGetScenario, projectGetVsBareScenario } from './scenarios/project-get.scenario';
import { shardsVsOneScenario } from './scenarios/shards-vs-one.scenario';
import { tenantContextReadScenario, tenantContextTransactionScenario } from './scenarios/tenant-context.scenario';
import { workflowRunsScenario, workflowStartLatencyScenario } from './scenarios/workflow-runs.scenario';

const SCENARIOS: readonly Scenario[] = [
  pgSelectScenario,
  projectGetScenario,
  projectGetBareScenario,
  projectGetVsBareScenario,
  kafkaRoundtripScenario,
  auditPipelineScenario,
  auditPipelineBareScenario,
  auditPipelineVsBareScenario,
  auditLagScenario,
  auditGatewayWritesScenario,
  gatewayAuthScenario,
  loginStallScenario,
  tenantContextReadScenario,
  tenantContextTransactionScenario,
  shardsVsOneScenario,
  workflowRunsScenario,
  workflowStartLatencyScenario,
];

const USAGE = `usage: npm run bench -- <scenario>... [--duration-ms 5000] [--concurrency 8] [--rounds 3] [--json FILE]
scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(18)} ${s.description}`).join('\n')}
  all                run every scenario`;

function positiveInt(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number ≥ 1, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'duration-ms': { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const selected = positionals.includes('all')
    ? SCENARIOS
    : positionals.map((name) => {
        const scenario = SCENARIOS.find((s) => s.name === name);
        if (scenario === undefined) throw new Error(`unknown scenario "${name}"\n${USAGE}`);
        return scenario;
      });
  const options = {
    durationMs: positiveInt('duration-ms', values['duration-ms']),
    concurrency: positiveInt('concurrency', values.concurrency),
    rounds: positiveInt('rounds', values.rounds),
  };

  const reports: ScenarioReport[] = [];
  for (const scenario of selected) {
    process.stderr.write(`running ${scenario.name} (${options.rounds} rounds of ~${options.durationMs} ms each side)…\n`);
    reports.push(await runScenario(scenario, options));
  }
  const json = JSON.stringify({ options, reports }, null, 2);
  if (values.json !== undefined) writeFileSync(values.json, `${json}\n`);
  process.stdout.write(`${formatReportTable(reports)}\n\n${json}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
