import {
  createGrpcCallDurationHistogram,
  createHttpRequestDurationHistogram,
  createMetricsRegistry,
} from '@bulkhead/observability';
import { createShardUnavailableMiddleware } from '@bulkhead/sharded-service';
import { parser } from '@prometheus-io/lezer-promql';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { K8sObject } from './k8s-objects';
import { WORKSPACE_ROOT } from './workspace';

/** One PromQL expression of a dashboard panel or an alert, and where it is. */
export interface MonitoringQuery {
  /** `dashboard gateway.json › Error ratio (5xx)`, `PrometheusRule › BulkheadShardUnavailable`. */
  source: string;
  expr: string;
}

interface DashboardJson {
  panels?: Array<{ title?: string; targets?: Array<{ expr?: string }> }>;
}

/** The queries of every panel of the Grafana dashboards a ConfigMap carries (one per data key). */
export function dashboardQueries(configMap: K8sObject): MonitoringQuery[] {
  const data = (configMap['data'] ?? {}) as Record<string, string>;
  return Object.entries(data).flatMap(([file, json]) =>
    ((JSON.parse(json) as DashboardJson).panels ?? []).flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ source: `dashboard ${file} › ${panel.title ?? 'untitled'}`, expr: target.expr ?? '' })),
    ),
  );
}

interface RuleGroups {
  spec?: { groups?: Array<{ rules?: Array<{ alert?: string; record?: string; expr?: string }> }> };
}

/** The expression of every rule of a PrometheusRule. */
export function ruleQueries(rule: K8sObject): MonitoringQuery[] {
  return ((rule as RuleGroups).spec?.groups ?? []).flatMap((group) =>
    (group.rules ?? []).map((r) => ({ source: `PrometheusRule › ${r.alert ?? r.record ?? 'unnamed'}`, expr: r.expr ?? '' })),
  );
}

/** The parse errors of `expr` as PromQL (positions of the parser's error nodes); empty when it parses. */
export function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  if (expr.trim() === '') return ['the expression is empty'];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: "${expr.slice(Math.max(0, node.from - 20), node.to + 20)}"`);
    },
  });
  return errors;
}

/** The metric names `expr` selects (`foo` of `rate(foo{a="b"}[5m])`). */
export function metricNamesOf(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.name !== 'VectorSelector') return;
      const identifier = node.node.getChild('Identifier');
      if (identifier !== null) names.push(expr.slice(identifier.from, identifier.to));
    },
  });
  return names;
}

/** What a metric family is scraped as: a histogram's `_bucket`, `_sum` and `_count`, a counter's name itself. */
function scrapedNames(name: string, type: string): string[] {
  return type === 'histogram' || type === 'summary' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`, name] : [name];
}

const PROM_CLIENT_IMPORT = /from 'prom-client'/;
const METRIC_NAME_LITERAL = /'(bulkhead_[a-z0-9_]+)'/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') && !/\.(int-)?spec\.ts$/.test(entry.name) ? [full] : [];
  });
}

/**
 * The names a scrape of the services can show. The libraries' metrics come from a real
 * registry, built as every service builds its own (the Node.js process metrics, the REST and
 * gRPC request histograms, the shard counter); the metrics a service registers itself with
 * prom-client (the relay's, the log consumer's, the gateway's rate limit and audit counters)
 * need that service's collaborators to be built, so they are read from its source: every
 * `'bulkhead_…'` literal of a production file that imports prom-client.
 */
export async function registeredMetricNames(): Promise<Set<string>> {
  const registry = createMetricsRegistry('deploy-check');
  createHttpRequestDurationHistogram(registry);
  createGrpcCallDurationHistogram(registry);
  createShardUnavailableMiddleware(registry);
  const names = new Set((await registry.getMetricsAsJSON()).flatMap((metric) => scrapedNames(metric.name, String(metric.type))));
  registry.clear();

  const servicesDir = path.join(WORKSPACE_ROOT, 'services');
  for (const service of readdirSync(servicesDir)) {
    for (const file of sourceFiles(path.join(servicesDir, service, 'src'))) {
      const text = readFileSync(file, 'utf8');
      if (!PROM_CLIENT_IMPORT.test(text)) continue;
      for (const [, name] of text.matchAll(METRIC_NAME_LITERAL)) if (name !== undefined) names.add(name);
    }
  }
  return names;
}
