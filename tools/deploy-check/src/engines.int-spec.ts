import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CUSTOM_RESOURCE_SHAPES, customResourceKey, findCustomResourceProblems } from './custom-resources';
import { networkPolicySpec, ofKind, parseManifests, type K8sObject } from './k8s-objects';
import { ensureDeployTools, INSTALL_TIMEOUT_MS, kubernetesValidate, type DeployTools } from './tools';
import { findPodSecurityProblems } from './workload-checks';
import { CHART_DIR, K8S_DIR, KUBE_VERSIONS, PRODUCTION_VALUES } from './workspace';

interface ChartValues {
  shards: { id: string; host: string; port: number; database: string }[];
  networkPolicy: { egress: Record<string, { port: number; to: { namespaceSelector?: { matchLabels?: Record<string, string> } }[] }> };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(full);
    return entry.name.endsWith('.yaml') ? [full] : [];
  });
}

const files = yamlFiles(K8S_DIR).map((file) => ({ file: path.relative(K8S_DIR, file), text: readFileSync(file, 'utf8') }));
const objects = files.flatMap(({ file, text }) => parseManifests(text, file));
const isCustomResource = (object: K8sObject): boolean => /\.(cnpg|strimzi)\.io\//.test(object.apiVersion);

function named(kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind}/${name} in k8s/`);
  return found;
}

function spec<T>(object: K8sObject): T {
  return object['spec'] as T;
}

let tools: DeployTools;

beforeAll(() => {
  tools = ensureDeployTools();
}, INSTALL_TIMEOUT_MS);

describe('the engine manifests in k8s/', () => {
  it('parse, and every namespaced object names its namespace', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
      expect([object.kind, object.metadata.name, object.metadata.namespace]).toEqual([
        object.kind,
        object.metadata.name,
        expect.stringMatching(/^bulkhead(-data)?$/),
      ]);
    }
  });

  it.each(KUBE_VERSIONS)('are valid built-in objects for Kubernetes %s; custom resources only of allow-listed kinds', (kubeVersion) => {
    for (const { file, text } of files) {
      const report = kubernetesValidate(tools, text, kubeVersion);
      const fileObjects = parseManifests(text, file);
      expect({ file, errors: report.errors }).toEqual({ file, errors: [] });
      expect(report.passed).toHaveLength(fileObjects.filter((o) => !isCustomResource(o)).length);
      // The validator has no schemas for the operators' kinds: it must say so for those only.
      const unchecked = report.warnings.map((line) => /kind (\S+) with api version (\S+)/.exec(line)).map((m) => `${m?.[2]} ${m?.[1]}`);
      expect(unchecked.sort()).toEqual(fileObjects.filter(isCustomResource).map(customResourceKey).sort());
    }
  });

  it('give the operators custom resources of the allow-listed shape', () => {
    const customResources = objects.filter(isCustomResource);
    expect(new Set(customResources.map(customResourceKey))).toEqual(new Set(Object.keys(CUSTOM_RESOURCE_SHAPES)));
    expect(customResources.flatMap(findCustomResourceProblems)).toEqual([]);
  });

  it('enforce the restricted pod security standard and deny all traffic by default in the app namespace', () => {
    const namespace = named('Namespace', 'bulkhead');
    expect(namespace.metadata.labels).toEqual(
      expect.objectContaining({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' }),
    );
    const deny = networkPolicySpec(named('NetworkPolicy', 'default-deny-all'));
    expect(named('NetworkPolicy', 'default-deny-all').metadata.namespace).toBe('bulkhead');
    expect(deny).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('run Redis locked down like the services', () => {
    expect(ofKind(objects, 'StatefulSet')).toHaveLength(1);
    expect(findPodSecurityProblems(objects)).toEqual([]);
  });

  it('give every cluster the bulkhead_app service role, those with an outbox the relay role, and identity the placement reader, the roles the migrations grant to, subject to row-level security', () => {
    const clusters = ofKind(objects, 'Cluster');
    const rolesOf = (cluster: (typeof clusters)[number]) => spec<{ managed: { roles: { name: string; bypassrls: boolean }[] } }>(cluster).managed.roles;
    expect(Object.fromEntries(clusters.map((c) => [c.metadata.name, rolesOf(c).map((r) => r.name)]))).toEqual({
      'bulkhead-shards-a': ['bulkhead_app', 'bulkhead_audit_relay'],
      'bulkhead-shards-b': ['bulkhead_app', 'bulkhead_audit_relay'],
      'bulkhead-identity': ['bulkhead_app', 'bulkhead_audit_relay', 'bulkhead_placement_reader'],
      'bulkhead-audit': ['bulkhead_app'],
    });
    expect(clusters.flatMap(rolesOf).every((r) => r.bypassrls === false)).toBe(true);
  });

  it('declare the audit topic and its dead-letter topic with a retention, the dead letters with room for headers', () => {
    const kafka = ofKind(objects, 'Kafka')[0]?.metadata.name;
    const topics = ofKind(objects, 'KafkaTopic').map((t) => ({
      cluster: t.metadata.labels?.['strimzi.io/cluster'],
      ...spec<{ topicName: string; config: Record<string, unknown> }>(t),
    }));
    expect(topics.map((t) => t.topicName).sort()).toEqual(['audit.events', 'audit.events.dlq']);
    for (const topic of topics) {
      expect(topic.cluster).toBe(kafka);
      expect(topic.config['retention.ms']).toEqual(expect.any(Number));
    }
    // A dead letter is an audit.events message plus headers: the dead-letter topic must take more.
    const limit = (name: string): number => Number(topics.find((t) => t.topicName === name)?.config['max.message.bytes']);
    expect(limit('audit.events.dlq')).toBeGreaterThanOrEqual(limit('audit.events') + 64 * 1024);
    expect(ofKind(objects, 'KafkaNodePool').map((p) => p.metadata.labels?.['strimzi.io/cluster'])).toEqual([kafka]);
  });
});

describe.each([
  ['values.yaml', path.join(CHART_DIR, 'values.yaml')],
  ['values-production.yaml', PRODUCTION_VALUES],
])("the chart's %s and the engines", (_name, valuesPath) => {
  const values = parse(readFileSync(valuesPath, 'utf8')) as ChartValues;

  it('agree on every shard: its host is a PostgreSQL cluster that holds its database', () => {
    for (const shard of values.shards) {
      const match = /^(.+)-rw\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(shard.host);
      expect({ shard: shard.id, host: match === null ? shard.host : 'cluster' }).toEqual({ shard: shard.id, host: 'cluster' });
      const [, clusterName = '', namespace] = match ?? [];
      const cluster = named('Cluster', clusterName);
      expect(cluster.metadata.namespace).toBe(namespace);
      const databases = [
        spec<{ bootstrap: { initdb: { database: string } } }>(cluster).bootstrap.initdb.database,
        ...ofKind(objects, 'Database')
          .map((d) => spec<{ name: string; cluster: { name: string } }>(d))
          .filter((d) => d.cluster.name === clusterName)
          .map((d) => d.name),
      ];
      expect(databases).toContain(shard.database);
      expect(shard.port).toBe(5432);
    }
  });

  it('agree on where the engines live and listen, for the egress policies', () => {
    const engineNamespace = named('Namespace', 'bulkhead-data').metadata.name;
    const redis = spec<{ ports: { port: number }[] }>(named('Service', 'bulkhead-redis'));
    const kafkaPorts = spec<{ kafka: { listeners: { port: number; tls: boolean }[] } }>(named('Kafka', 'bulkhead')).kafka.listeners;
    const { egress } = values.networkPolicy;
    expect(egress['redis']?.port).toBe(redis.ports[0]?.port);
    expect(kafkaPorts.filter((l) => !l.tls).map((l) => l.port)).toEqual([egress['kafka']?.port]);
    for (const engine of ['postgres', 'redis', 'kafka']) {
      const namespaces = (egress[engine]?.to ?? []).map((peer) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']);
      expect({ engine, namespaces }).toEqual({ engine, namespaces: [engineNamespace] });
    }
  });
});
