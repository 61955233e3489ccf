import { loadConfig, serviceConfigShape, shardMapField, withShardCredentials } from '@bulkhead/config';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { helmInstallDryRun, helmLint, helmTemplate, RELEASE } from './helm';
import { findImageBuildProblems, projectRootOfBundle } from './images';
import { dashboardQueries, metricNamesOf, promqlErrors, registeredMetricNames, ruleQueries } from './monitoring';
import { networkPolicySpec, ofKind, parseManifests, podTemplateOf, refOf, type Container, type K8sObject } from './k8s-objects';
import { ensureDeployTools, INSTALL_TIMEOUT_MS, kubernetesValidate, type DeployTools } from './tools';
import { findNetworkPolicyProblems, findPodSecurityProblems, findProbeAndResourceProblems } from './workload-checks';
import { CHART_DIR, KUBE_VERSIONS, PRODUCTION_VALUES, WORKSPACE_ROOT } from './workspace';

interface ShardValues {
  id: string;
  host: string;
  port: number;
  database: string;
}

interface ServiceValues {
  enabled: boolean;
  replicas: number;
  hpa: { enabled: boolean };
  secrets: string[];
  grpcPeers?: string[];
  ports: { grpc: number };
}

interface ChartValues {
  shards: ShardValues[];
  services: Record<string, ServiceValues>;
  secrets: Record<string, { existingSecret: string }>;
  ingress: { enabled: boolean; host: string; baseDomain: string };
}

/** The migration job's owner credentials: the shards', the identity database's, the compliance log's. */
const OWNER_GROUPS = ['shardOwnerDatabase', 'identityOwnerDatabase', 'auditOwnerDatabase'] as const;

const RENDER_KUBE_VERSION = KUBE_VERSIONS[KUBE_VERSIONS.length - 1] ?? '1.37.0';
const DEFAULT_VALUES = path.join(CHART_DIR, 'values.yaml');

let tools: DeployTools;
let scratch: string;

beforeAll(() => {
  tools = ensureDeployTools();
  scratch = mkdtempSync(path.join(tmpdir(), 'deploy-check-'));
}, INSTALL_TIMEOUT_MS);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function readValues(file: string): ChartValues {
  return parse(readFileSync(file, 'utf8')) as ChartValues;
}

/** Writes an override values file into the scratch folder and returns its path. */
function valuesFile(name: string, values: unknown): string {
  const file = path.join(scratch, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(values));
  return file;
}

function render(files: readonly string[], kubeVersion = RENDER_KUBE_VERSION): { text: string; objects: K8sObject[] } {
  const result = helmTemplate(tools, files, kubeVersion);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return { text: result.stdout, objects: parseManifests(result.stdout, 'helm template') };
}

function named(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind}/${name} in the rendered chart`);
  return found;
}

function mainContainer(object: K8sObject): Container {
  const container = podTemplateOf(object)?.spec.containers[0];
  if (container === undefined) throw new Error(`${refOf(object)} has no container`);
  return container;
}

function hookEvents(object: K8sObject): string[] {
  return (object.metadata.annotations?.['helm.sh/hook'] ?? '').split(',').filter((e) => e !== '');
}

function hookWeight(object: K8sObject): number {
  return Number(object.metadata.annotations?.['helm.sh/hook-weight'] ?? '0');
}

/** The services a values file deploys (enabled), sorted. */
function deployedServices(values: ChartValues): string[] {
  return Object.entries(values.services)
    .filter(([, service]) => service.enabled)
    .map(([name]) => name)
    .sort();
}

function egressPorts(objects: readonly K8sObject[], name: string): (string | number | undefined)[] {
  return (networkPolicySpec(named(objects, 'NetworkPolicy', name)).egress ?? []).flatMap((rule) => (rule.ports ?? []).map((p) => p.port));
}

describe.each([
  { label: 'the default values', files: [] as string[], valuesPath: DEFAULT_VALUES },
  { label: 'values-production.yaml', files: [PRODUCTION_VALUES], valuesPath: PRODUCTION_VALUES },
])('the chart with $label', ({ files, valuesPath }) => {
  const values = readValues(valuesPath);
  const services = deployedServices(values);
  let objects: K8sObject[];

  beforeAll(() => {
    objects = render(files).objects;
  });

  it('passes helm lint --strict', () => {
    const result = helmLint(tools, files);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it.each(KUBE_VERSIONS)('renders objects that are valid for Kubernetes %s, strictly', (kubeVersion) => {
    const rendered = render(files, kubeVersion);
    const report = kubernetesValidate(tools, rendered.text, kubeVersion);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.passed).toHaveLength(rendered.objects.length);
  });

  it('runs every container as non-root, read-only, unprivileged, without capabilities', () => {
    expect(findPodSecurityProblems(objects)).toEqual([]);
    expect(ofKind(objects, 'Deployment').length + ofKind(objects, 'Job').length).toBe(services.length + 1);
  });

  it('gives every Deployment liveness and readiness probes and resource requests and limits', () => {
    expect(findProbeAndResourceProblems(objects)).toEqual([]);
  });

  it('deploys each service with a Service, a token-less ServiceAccount, a PDB and, when enabled, an HPA', () => {
    expect(services.length).toBeGreaterThan(0);
    for (const service of services) {
      const name = `${RELEASE}-${service}`;
      const deployment = named(objects, 'Deployment', name);
      const spec = deployment['spec'] as { replicas?: number };
      const serviceValues = values.services[service];
      if (serviceValues === undefined) throw new Error(`no services.${service} in ${valuesPath}`);
      expect(named(objects, 'ServiceAccount', name)['automountServiceAccountToken']).toBe(false);
      expect(podTemplateOf(deployment)?.spec.serviceAccountName).toBe(name);
      named(objects, 'Service', name);
      named(objects, 'PodDisruptionBudget', name);
      if (serviceValues.hpa.enabled) {
        expect(named(objects, 'HorizontalPodAutoscaler', name).apiVersion).toBe('autoscaling/v2');
        expect(spec.replicas).toBeUndefined();
      } else {
        expect(spec.replicas).toBe(serviceValues.replicas);
      }
    }
    const hpas = Object.values(values.services).filter((s) => s.enabled && s.hpa.enabled).length;
    expect(ofKind(objects, 'HorizontalPodAutoscaler')).toHaveLength(hpas);
  });

  it('lets only the gateway be reached from outside, the others only from the release', () => {
    expect(findNetworkPolicyProblems(objects, { entryPoint: 'gateway', release: RELEASE, metricsPort: 'metrics' })).toEqual([]);
    // One per service, the namespace's default deny, and the migration job's.
    expect(ofKind(objects, 'NetworkPolicy')).toHaveLength(services.length + 2);
  });

  it("opens each service's egress only to the engines it has credentials for", () => {
    const databaseGroups = ['shardDatabase', 'relayDatabase', 'identityDatabase', 'placementDatabase', 'auditDatabase'];
    for (const service of services) {
      const groups = values.services[service]?.secrets ?? [];
      const expected = [
        [5432, groups.some((group) => databaseGroups.includes(group))],
        [6379, groups.includes('redis')],
        [9092, groups.includes('kafka')],
      ] as const;
      const ports = egressPorts(objects, `${RELEASE}-${service}`);
      expect({ service, dns: ports.includes(53) }).toEqual({ service, dns: true });
      for (const [port, open] of expected) expect({ service, port, open: ports.includes(port) }).toEqual({ service, port, open });
    }
    expect(egressPorts(objects, `${RELEASE}-migrate`).sort()).toEqual([53, 53, 5432]);
  });

  it('mounts only Secrets that exist outside the chart, each service only its own groups', () => {
    expect(ofKind(objects, 'Secret')).toEqual([]);
    for (const service of services) {
      const refs = (mainContainer(named(objects, 'Deployment', `${RELEASE}-${service}`)).envFrom ?? []).flatMap((e) => (e.secretRef ? [e.secretRef.name] : []));
      const groups = values.services[service]?.secrets ?? [];
      expect(refs).toEqual(groups.map((group) => values.secrets[group]?.existingSecret));
    }
    expect(JSON.stringify(objects)).not.toMatch(/PASSWORD"\s*:\s*"[^"]/);
  });

  it("tells each service where its gRPC peers' Services listen", () => {
    for (const service of services) {
      const env = mainContainer(named(objects, 'Deployment', `${RELEASE}-${service}`)).env ?? [];
      const addresses = Object.fromEntries(env.filter((e) => e.name.endsWith('_GRPC_ADDRESS')).map((e) => [e.name, e.value]));
      const expected = Object.fromEntries(
        (values.services[service]?.grpcPeers ?? []).map((peer) => {
          named(objects, 'Service', `${RELEASE}-${peer}`);
          return [`${peer.toUpperCase()}_GRPC_ADDRESS`, `${RELEASE}-${peer}:${values.services[peer]?.ports.grpc}`];
        }),
      );
      expect({ service, addresses }).toEqual({ service, addresses: expected });
    }
    expect(values.services['gateway']?.grpcPeers).toEqual(expect.arrayContaining(['auth', 'org', 'project']));
  });

  it("gives the gateway the ingress's base domain, so tenants' subdomains are checked against their tokens", () => {
    const env = mainContainer(named(objects, 'Deployment', `${RELEASE}-gateway`)).env ?? [];
    const baseDomain = env.find((e) => e.name === 'BASE_DOMAIN')?.value;
    expect(baseDomain).toBe(values.ingress.baseDomain === '' ? undefined : values.ingress.baseDomain);
  });

  it('runs the migrate CLI with the shard, identity and audit owner credentials in a pre-install,pre-upgrade hook', () => {
    const job = named(objects, 'Job', `${RELEASE}-migrate`);
    expect(hookEvents(job).sort()).toEqual(['pre-install', 'pre-upgrade']);
    expect(job.metadata.annotations?.['helm.sh/hook-delete-policy']).toContain('before-hook-creation');
    const container = mainContainer(job);
    expect(container.command).toEqual(['node', '--enable-source-maps', 'dist/tools/migrate/main.js']);
    expect(container.envFrom).toEqual(OWNER_GROUPS.map((group) => ({ secretRef: { name: values.secrets[group]?.existingSecret } })));

    const ownerMap = container.env?.find((e) => e.name === 'SHARD_OWNER_MAP')?.value;
    const { SHARD_OWNER_MAP } = loadConfig({ SHARD_OWNER_MAP: shardMapField() }, { SHARD_OWNER_MAP: ownerMap });
    expect(SHARD_OWNER_MAP.map((shard) => shard.id)).toEqual(values.shards.map((shard) => shard.id));

    // What the Job needs exists before it: hooks of the same events with a lower weight.
    const serviceAccount = named(objects, 'ServiceAccount', podTemplateOf(job)?.spec.serviceAccountName ?? '');
    const policy = named(objects, 'NetworkPolicy', `${RELEASE}-migrate`);
    for (const dependency of [serviceAccount, policy]) {
      expect(hookEvents(dependency).sort()).toEqual(['pre-install', 'pre-upgrade']);
      expect(hookWeight(dependency)).toBeLessThan(hookWeight(job));
    }
  });

  it('renders SHARD_MAP as the services read it: every shard, in order, without credentials', () => {
    const configMap = named(objects, 'ConfigMap', `${RELEASE}-config`);
    const data = configMap['data'] as Record<string, string>;
    const { SHARD_MAP } = loadConfig({ SHARD_MAP: shardMapField() }, data);

    expect(SHARD_MAP.map((shard) => shard.id)).toEqual(values.shards.map((shard) => shard.id));
    SHARD_MAP.forEach((shard, index) => {
      const expected = values.shards[index];
      const url = new URL(shard.url);
      expect([url.hostname, Number(url.port), url.pathname]).toEqual([expected?.host, expected?.port, `/${expected?.database}`]);
      expect([url.username, url.password]).toEqual(['', '']);
    });
    const [withUser] = withShardCredentials(SHARD_MAP, { user: 'bulkhead_app', password: 's3cret' });
    expect(new URL(withUser?.url ?? '').username).toBe('bulkhead_app');
    for (const deployment of ofKind(objects, 'Deployment')) {
      expect(mainContainer(deployment).envFrom?.[0]).toEqual({ configMapRef: { name: `${RELEASE}-config` } });
    }
  });

  it('runs only images the Dockerfile builds: each Deployment its service, the Job the migrate tool', () => {
    for (const deployment of ofKind(objects, 'Deployment')) {
      const service = podTemplateOf(deployment)?.metadata?.labels?.['app.kubernetes.io/component'] ?? '';
      expect(mainContainer(deployment).image).toMatch(new RegExp(`(^|/)${service}:[^/]+$`));
      expect(findImageBuildProblems(WORKSPACE_ROOT, service, `services/${service}`)).toEqual([]);
    }
    const job = mainContainer(named(objects, 'Job', `${RELEASE}-migrate`));
    const projectRoot = projectRootOfBundle(job.command?.at(-1) ?? '');
    expect(projectRoot).toBe('tools/migrate');
    expect(job.image).toMatch(/(^|\/)migrate:[^/]+$/);
    expect(findImageBuildProblems(WORKSPACE_ROOT, 'migrate', projectRoot ?? '')).toEqual([]);
  });

  it('pins every image to a tag, never latest', () => {
    const images = [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'Job')].map((o) => mainContainer(o).image ?? '');
    for (const image of images) expect(image).toMatch(/^[^:]+(:\d+)?[^:]*:(?!latest$)[\w.-]+$/);
  });

  it('prints install notes naming every shard and every Secret the pods read', () => {
    const result = helmInstallDryRun(tools, files);
    expect(result.status).toBe(0);
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    for (const shard of values.shards) expect(notes).toContain(`${shard.id}: ${shard.host}:${shard.port}/${shard.database}`);
    for (const { existingSecret } of Object.values(values.secrets)) expect(notes).toContain(`- ${existingSecret}: `);
  });

  it('routes the API host and every tenant subdomain to the gateway when the Ingress is on', () => {
    const ingresses = ofKind(objects, 'Ingress');
    if (!values.ingress.enabled) {
      expect(ingresses).toEqual([]);
      return;
    }
    const spec = ingresses[0]?.['spec'] as {
      tls: { hosts: string[] }[];
      rules: { host: string; http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[];
    };
    const hosts = [values.ingress.host, `*.${values.ingress.baseDomain}`];
    expect(spec.rules.map((rule) => rule.host)).toEqual(hosts);
    expect(spec.tls[0]?.hosts).toEqual(hosts);
    for (const rule of spec.rules) {
      expect(rule.http.paths[0]?.backend.service).toEqual({ name: `${RELEASE}-gateway`, port: { name: 'http' } });
    }
  });
});

describe('tracing', () => {
  const configOf = (files: readonly string[]): Record<string, string> =>
    named(render(files).objects, 'ConfigMap', `${RELEASE}-config`)['data'] as Record<string, string>;

  it('is off by default, and on with a collector URL: the traces endpoint the services read', () => {
    expect(loadConfig(serviceConfigShape, configOf([])).OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBeUndefined();
    const data = configOf([valuesFile('tracing', { global: { otelExporterOtlpEndpoint: 'http://otel-collector.observability:4318/' } })]);
    expect(loadConfig(serviceConfigShape, data).OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe('http://otel-collector.observability:4318/v1/traces');
    expect(Object.keys(data).filter((key) => key.startsWith('OTEL_'))).toEqual(['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  });
});

describe('monitoring', () => {
  const monitoring = { monitoring: { dashboards: { enabled: true }, rules: { enabled: true, labels: { release: 'kube-prometheus-stack' } } } };
  let objects: K8sObject[];
  let registered: Set<string>;

  beforeAll(async () => {
    objects = render([valuesFile('monitoring', monitoring)]).objects;
    registered = await registeredMetricNames();
  });

  const dashboards = (): K8sObject[] => ofKind(objects, 'ConfigMap').filter((o) => o.metadata.labels?.['grafana_dashboard'] === '1');
  const rules = (): K8sObject => named(objects, 'PrometheusRule', `${RELEASE}-alerts`);
  const queries = () => [...dashboards().flatMap(dashboardQueries), ...ruleQueries(rules())];

  it('renders neither dashboards nor rules by default', () => {
    const defaults = render([]).objects;
    expect(defaults.filter((o) => o.kind === 'PrometheusRule' || o.metadata.labels?.['grafana_dashboard'] !== undefined)).toEqual([]);
  });

  it('carries the gateway, services, shards and audit pipeline dashboards for the Grafana sidecar, each with panels', () => {
    expect(dashboards().map((o) => o.metadata.name).sort()).toEqual(
      ['audit-pipeline', 'gateway', 'services', 'shards'].map((name) => `${RELEASE}-dashboard-${name}`),
    );
    for (const dashboard of dashboards()) expect(dashboardQueries(dashboard).length).toBeGreaterThan(2);
  });

  it('alerts on SLO burn (availability and latency, fast and slow), a shard unavailable, the relay backlog and dead-letter growth', () => {
    const rule = rules();
    expect(rule.metadata.labels?.['release']).toBe('kube-prometheus-stack');
    expect(ruleQueries(rule).map((query) => query.source.replace('PrometheusRule › ', '')).sort()).toEqual([
      'BulkheadAuditDeadLetterGrowth',
      'BulkheadAuditRelayBacklog',
      'BulkheadAuditRelayFailing',
      'BulkheadAvailabilityBudgetBurnFast',
      'BulkheadAvailabilityBudgetBurnSlow',
      'BulkheadLatencyBudgetBurnFast',
      'BulkheadLatencyBudgetBurnSlow',
      'BulkheadShardUnavailable',
    ]);
    const fastBurn = ruleQueries(rule).find((query) => query.source.endsWith('BulkheadAvailabilityBudgetBurnFast'));
    // Both windows must burn: the long one says it matters, the short one that it still happens.
    expect(fastBurn?.expr).toMatch(/\[1h\][\s\S]*> 14\.4 \* \(1 - 0\.999\)[\s\S]*and[\s\S]*\[5m\][\s\S]*> 14\.4 \* \(1 - 0\.999\)/);
  });

  it('writes every panel and rule in PromQL that parses', () => {
    expect(queries().filter((query) => promqlErrors(query.expr).length > 0).map((query) => [query.source, promqlErrors(query.expr)])).toEqual([]);
  });

  it('names only metrics the services register', () => {
    const unknown = queries().flatMap((query) => metricNamesOf(query.expr).filter((name) => !registered.has(name)).map((name) => `${query.source}: ${name}`));
    expect(unknown).toEqual([]);
    // The check sees the metrics it guards: the request histograms, the relay's and the log consumer's.
    for (const name of ['bulkhead_http_request_duration_seconds_bucket', 'bulkhead_grpc_server_call_duration_seconds_count', 'bulkhead_audit_relay_backlog', 'bulkhead_audit_messages_dead_lettered_total']) {
      expect(registered).toContain(name);
    }
  });
});

describe('secrets created from values', () => {
  const created = {
    shardDatabase: { SHARD_DATABASE_USER: 'bulkhead_app', SHARD_DATABASE_PASSWORD: 'app-pw' },
    relayDatabase: { RELAY_DATABASE_USER: 'bulkhead_audit_relay', RELAY_DATABASE_PASSWORD: 'relay-pw' },
    shardOwnerDatabase: { SHARD_OWNER_DATABASE_USER: 'bulkhead_owner', SHARD_OWNER_DATABASE_PASSWORD: 'owner-pw' },
    identityOwnerDatabase: { IDENTITY_DATABASE_OWNER_URL: 'postgres://o:p@identity:5432/bulkhead_identity' },
    auditOwnerDatabase: { AUDIT_DATABASE_OWNER_URL: 'postgres://o:p@audit:5432/bulkhead_audit' },
    identityDatabase: { IDENTITY_DATABASE_URL: 'postgres://u:p@identity:5432/bulkhead_identity' },
    placementDatabase: { PLACEMENT_DATABASE_URL: 'postgres://r:p@identity:5432/bulkhead_identity' },
    auditDatabase: { AUDIT_DATABASE_URL: 'postgres://u:p@audit:5432/bulkhead_audit' },
    redis: { REDIS_URL: 'redis://:pw@redis:6379/0' },
    kafka: { KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092' },
    signingKeys: { SIGNING_KEY_ENCRYPTION_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=' },
    agentKeys: { AGENT_MASTER_KEY: 'ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=' },
    workloadKeys: { WORKLOAD_KEY: 'workload-key-of-at-least-32-characters', WORKLOAD_KEYS: 'workflow=workload-key-of-at-least-32-characters' },
  };
  const allCreated = Object.fromEntries(Object.entries(created).map(([group, data]) => [group, { existingSecret: '', values: data }]));
  // Every service on, so that every group some service mounts is created.
  const allServices = Object.fromEntries(Object.keys(readValues(DEFAULT_VALUES).services).map((name) => [name, { enabled: true }]));
  const kebab = (group: string): string => group.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

  it('become one Secret per group, the owner credentials as hooks before the migration', () => {
    const { objects } = render([valuesFile('created-secrets', { secrets: allCreated, services: allServices })]);
    const secrets = ofKind(objects, 'Secret');
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual(Object.keys(created).map((g) => `${RELEASE}-${kebab(g)}`).sort());
    for (const secret of secrets) {
      const group = Object.entries(created).find(([g]) => secret.metadata.name === `${RELEASE}-${kebab(g)}`);
      expect(secret['stringData']).toEqual(group?.[1]);
    }
    for (const group of OWNER_GROUPS) {
      const owner = named(objects, 'Secret', `${RELEASE}-${kebab(group)}`);
      expect(hookEvents(owner).sort()).toEqual(['pre-install', 'pre-upgrade']);
      expect(hookWeight(owner)).toBeLessThan(hookWeight(named(objects, 'Job', `${RELEASE}-migrate`)));
    }
    expect(hookEvents(named(objects, 'Secret', `${RELEASE}-redis`))).toEqual([]);
  });

  it('give the migrate Job the shard owner map with credentials and the identity and audit owner URLs', () => {
    const { objects } = render([valuesFile('created-secrets', { secrets: allCreated })]);
    const container = mainContainer(named(objects, 'Job', `${RELEASE}-migrate`));
    // What the container's process sees: its env, then every Secret it reads with envFrom.
    const environment: Record<string, string> = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
    for (const { secretRef } of container.envFrom ?? []) {
      Object.assign(environment, named(objects, 'Secret', secretRef?.name ?? '')['stringData']);
    }
    expect(environment).toMatchObject({
      IDENTITY_DATABASE_OWNER_URL: created.identityOwnerDatabase.IDENTITY_DATABASE_OWNER_URL,
      AUDIT_DATABASE_OWNER_URL: created.auditOwnerDatabase.AUDIT_DATABASE_OWNER_URL,
    });
    expect(environment).not.toHaveProperty('IDENTITY_DATABASE_URL');
    const { SHARD_OWNER_MAP } = loadConfig({ SHARD_OWNER_MAP: shardMapField() }, environment);
    const owners = withShardCredentials(SHARD_OWNER_MAP, {
      user: environment['SHARD_OWNER_DATABASE_USER'],
      password: environment['SHARD_OWNER_DATABASE_PASSWORD'],
    });
    for (const shard of owners) expect([new URL(shard.url).username, new URL(shard.url).password]).toEqual(['bulkhead_owner', 'owner-pw']);
  });

  it('fail the render when a key is left empty, naming it', () => {
    const file = valuesFile('missing-key', { secrets: { ...allCreated, redis: { existingSecret: '', values: {} } } });
    const result = helmTemplate(tools, [file], RENDER_KUBE_VERSION);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('secrets.redis: set existingSecret, or values.REDIS_URL');
  });
});

describe('values that fail helm template', () => {
  it.each([
    ['replicas: "three"', { services: { gateway: { replicas: 'three' } } }, "at '/services/gateway/replicas': got string, want integer"],
    ['a shard without host', { shards: [{ id: 'shard-0', port: 5432, database: 'db' }] }, "at '/shards/0': missing property 'host'"],
    ['an upper-case shard id', { shards: [{ id: 'Shard-0', host: 'pg', port: 5432, database: 'db' }] }, "at '/shards/0/id'"],
    ['a misspelt service', { services: { gatway: {} } }, "at '/services': additional properties 'gatway' not allowed"],
    ['the latest tag', { global: { image: { tag: 'latest' } } }, "at '/global/image/tag'"],
    ['resources without limits', { services: { org: { resources: { limits: null } } } }, "at '/services/org/resources'"],
    ['an Ingress without host', { ingress: { enabled: true } }, "at '/ingress/host'"],
  ])('rejects %s with a schema error', (_case, override, message) => {
    const result = helmTemplate(tools, [valuesFile('bad', override)], RENDER_KUBE_VERSION);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(message);
  });

  it.each([
    [
      'a duplicate shard id',
      { shards: [{ id: 'shard-0', host: 'a', port: 5432, database: 'a' }, { id: 'shard-0', host: 'b', port: 5432, database: 'b' }] },
      'shards: the id "shard-0" is used twice',
    ],
    ['an HPA whose max is below its min', { services: { auth: { hpa: { enabled: true, min: 4, max: 2 } } } }, 'services.auth.hpa: max (2) is below min (4)'],
    ['a gRPC peer that is not enabled', { services: { project: { enabled: false } } }, 'grpcPeers: project is not enabled, so nothing answers PROJECT_GRPC_ADDRESS'],
  ])('rejects %s with a message from the templates', (_case, override, message) => {
    const result = helmTemplate(tools, [valuesFile('bad-template', override)], RENDER_KUBE_VERSION);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});
