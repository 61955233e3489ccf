import { parseManifests, type K8sObject } from './k8s-objects';
import { findNetworkPolicyProblems, findPodSecurityProblems, findProbeAndResourceProblems, selects } from './workload-checks';

const EXPECTED = { entryPoint: 'gateway', release: 'rel', metricsPort: 'metrics' };

function deployment(component: string): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: component },
    spec: {
      template: {
        metadata: { labels: { 'app.kubernetes.io/instance': 'rel', 'app.kubernetes.io/component': component } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: component,
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              ports: [{ name: 'metrics', containerPort: 9464 }],
              livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' } },
              readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' } },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

function policy(component: string, ingress: unknown[]): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: component },
    spec: {
      podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'rel', 'app.kubernetes.io/component': component } },
      policyTypes: ['Ingress', 'Egress'],
      ingress,
    },
  };
}

const defaultDeny: K8sObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'deny' },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
};
const fromRelease = { podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'rel' } } };
const fromMonitoring = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };

function isolatedRelease(): K8sObject[] {
  return [
    defaultDeny,
    deployment('gateway'),
    deployment('org'),
    policy('gateway', [{ ports: [{ port: 'http' }] }]),
    policy('org', [
      { from: [fromRelease], ports: [{ port: 'grpc' }] },
      { from: [fromMonitoring], ports: [{ port: 'metrics' }] },
    ]),
  ];
}

/** A deep copy of the first container of a Deployment, to break one property at a time. */
function withContainer(change: (container: Record<string, unknown>, pod: Record<string, unknown>) => void): K8sObject {
  const object = structuredClone(deployment('org'));
  const pod = (object['spec'] as { template: { spec: Record<string, unknown> } }).template.spec;
  change((pod['containers'] as Record<string, unknown>[])[0] ?? {}, pod);
  return object;
}

describe('findPodSecurityProblems', () => {
  it('accepts a locked-down pod', () => {
    expect(findPodSecurityProblems([deployment('org')])).toEqual([]);
  });

  it.each([
    ['root user', (_c: Record<string, unknown>, pod: Record<string, unknown>) => (pod['securityContext'] = { runAsNonRoot: true, runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } }), /runAsUser is 0/],
    ['no runAsNonRoot', (_c: Record<string, unknown>, pod: Record<string, unknown>) => (pod['securityContext'] = { runAsUser: 1, seccompProfile: { type: 'RuntimeDefault' } }), /runAsNonRoot/],
    ['privilege escalation', (c: Record<string, unknown>) => (c['securityContext'] = { readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }), /allowPrivilegeEscalation/],
    ['writable root', (c: Record<string, unknown>) => (c['securityContext'] = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }), /readOnlyRootFilesystem/],
    ['kept capabilities', (c: Record<string, unknown>) => (c['securityContext'] = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true }), /drop ALL/],
    ['no /tmp', (c: Record<string, unknown>) => (c['volumeMounts'] = []), /\/tmp/],
    ['a mounted token', (_c: Record<string, unknown>, pod: Record<string, unknown>) => delete pod['automountServiceAccountToken'], /automountServiceAccountToken/],
  ])('reports %s', (_case, change, message) => {
    expect(findPodSecurityProblems([withContainer(change)])).toEqual([expect.stringMatching(message)]);
  });
});

describe('findProbeAndResourceProblems', () => {
  it('accepts probes on the declared metrics port and full resources', () => {
    expect(findProbeAndResourceProblems([deployment('org')])).toEqual([]);
  });

  it.each([
    ['no liveness probe', (c: Record<string, unknown>) => delete c['livenessProbe'], /livenessProbe is not an HTTP GET of \/healthz/],
    ['a readiness probe on the wrong path', (c: Record<string, unknown>) => (c['readinessProbe'] = { httpGet: { path: '/healthz', port: 'metrics' } }), /readinessProbe is not an HTTP GET of \/readyz/],
    ['a probe on an undeclared port', (c: Record<string, unknown>) => (c['livenessProbe'] = { httpGet: { path: '/healthz', port: 'admin' } }), /port admin is not a declared/],
    ['no memory limit', (c: Record<string, unknown>) => (c['resources'] = { requests: { cpu: '1', memory: '1Gi' } }), /no memory limit/],
  ])('reports %s', (_case, change, message) => {
    expect(findProbeAndResourceProblems([withContainer(change)])).toEqual([expect.stringMatching(message)]);
  });
});

describe('findNetworkPolicyProblems', () => {
  it('accepts a release where only the gateway is open', () => {
    expect(findNetworkPolicyProblems(isolatedRelease(), EXPECTED)).toEqual([]);
  });

  it('reports a missing default deny', () => {
    expect(findNetworkPolicyProblems(isolatedRelease().slice(1), EXPECTED)).toEqual([expect.stringMatching(/default-deny/)]);
  });

  it('reports a service without its own policy', () => {
    const objects = isolatedRelease().filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'org'));
    expect(findNetworkPolicyProblems(objects, EXPECTED)).toEqual(['Deployment/org: selected by 0 NetworkPolicies, expected exactly 1']);
  });

  it.each([
    ['open to every source', [{ ports: [{ port: 'grpc' }] }], /open to every source/],
    ['another namespace on the gRPC port', [{ from: [fromMonitoring], ports: [{ port: 'grpc' }] }], /outside the release/],
    ['an address block', [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }], /outside the release/],
    ['pods of another release', [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'other' } } }] }], /outside the release/],
  ])('reports a non-gateway service %s', (_case, ingress, message) => {
    const objects = isolatedRelease().map((o) => (o.kind === 'NetworkPolicy' && o.metadata.name === 'org' ? policy('org', ingress) : o));
    expect(findNetworkPolicyProblems(objects, EXPECTED)).toEqual([expect.stringMatching(message)]);
  });

  it('reports a gateway whose http port is closed', () => {
    const objects = isolatedRelease().map((o) => (o.kind === 'NetworkPolicy' && o.metadata.name === 'gateway' ? policy('gateway', []) : o));
    expect(findNetworkPolicyProblems(objects, EXPECTED)).toEqual([expect.stringMatching(/http port is not open/)]);
  });
});

describe('selects', () => {
  it('applies matchLabels and every matchExpressions operator', () => {
    const labels = { app: 'x', tier: 'api' };
    expect(selects({ matchLabels: { app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['api'] }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['api'] }] }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selects({ matchLabels: { app: 'y' } }, labels)).toBe(false);
  });
});

describe('parseManifests', () => {
  it('skips empty documents and keeps the others in order', () => {
    const objects = parseManifests('---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n', 'x.yaml');
    expect(objects.map((o) => o.kind)).toEqual(['A', 'B']);
  });

  it('names the source of a document that is not an object', () => {
    expect(() => parseManifests('kind: A\n', 'x.yaml')).toThrow(/x\.yaml: a document without apiVersion/);
    expect(() => parseManifests('a: [\n', 'y.yaml')).toThrow(/y\.yaml/);
  });
});
