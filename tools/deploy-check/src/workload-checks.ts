import {
  networkPolicySpec,
  ofKind,
  podTemplateOf,
  refOf,
  type Container,
  type K8sObject,
  type LabelSelector,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PodSpec,
  type SecurityContext,
} from './k8s-objects';

/**
 * Security problems of every container of every workload, as sentences (empty = none): each
 * must run as a non-root user id, without privilege escalation, on a read-only root filesystem
 * with all capabilities dropped and the RuntimeDefault seccomp profile; the pod must not mount a
 * service-account token and must give the container a writable /tmp from an emptyDir.
 */
export function findPodSecurityProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const template = podTemplateOf(object);
    if (template === undefined) continue;
    const pod = template.spec;
    if (pod.automountServiceAccountToken !== false) {
      problems.push(`${refOf(object)}: automountServiceAccountToken is not false`);
    }
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      const where = `${refOf(object)} container ${container.name}`;
      problems.push(...findContainerSecurityProblems(pod, container).map((problem) => `${where}: ${problem}`));
    }
  }
  return problems;
}

function findContainerSecurityProblems(pod: PodSpec, container: Container): string[] {
  const own: SecurityContext = container.securityContext ?? {};
  const podContext: SecurityContext = pod.securityContext ?? {};
  const problems: string[] = [];
  if ((own.runAsNonRoot ?? podContext.runAsNonRoot) !== true) problems.push('runAsNonRoot is not true');
  const user = own.runAsUser ?? podContext.runAsUser;
  if (user === undefined || user === 0) problems.push(`runAsUser is ${user ?? 'unset'}, not a non-root id`);
  if (own.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');
  if (own.privileged === true) problems.push('privileged');
  if (own.readOnlyRootFilesystem !== true) problems.push('readOnlyRootFilesystem is not true');
  if (!(own.capabilities?.drop ?? []).includes('ALL')) problems.push('capabilities do not drop ALL');
  if ((own.capabilities?.add ?? []).length > 0) problems.push(`adds capabilities ${own.capabilities?.add?.join(', ')}`);
  if ((own.seccompProfile?.type ?? podContext.seccompProfile?.type) !== 'RuntimeDefault') {
    problems.push('seccompProfile is not RuntimeDefault');
  }
  const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
  const tmpVolume = pod.volumes?.find((volume) => volume.name === tmp?.name);
  if (tmpVolume?.emptyDir === undefined) problems.push('no emptyDir mounted at /tmp');
  return problems;
}

/**
 * Every Deployment's containers must have a liveness probe on /healthz and a readiness probe on
 * /readyz, both on a port the container declares, and CPU and memory requests with a memory limit.
 */
export function findProbeAndResourceProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const deployment of ofKind(objects, 'Deployment')) {
    for (const container of podTemplateOf(deployment)?.spec.containers ?? []) {
      const where = `${refOf(deployment)} container ${container.name}`;
      const declared = new Set<string | number>((container.ports ?? []).flatMap((port) => [port.containerPort, port.name ?? '']));
      for (const [probeName, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
        const httpGet = container[probeName]?.httpGet;
        if (httpGet?.path !== path) problems.push(`${where}: ${probeName} is not an HTTP GET of ${path}`);
        else if (httpGet.port === undefined || !declared.has(httpGet.port)) {
          problems.push(`${where}: ${probeName} port ${String(httpGet.port)} is not a declared container port`);
        }
      }
      const { requests = {}, limits = {} } = container.resources ?? {};
      for (const resource of ['cpu', 'memory']) {
        if (requests[resource] === undefined) problems.push(`${where}: no ${resource} request`);
      }
      if (limits['memory'] === undefined) problems.push(`${where}: no memory limit`);
    }
  }
  return problems;
}

export interface NetworkPolicyExpectations {
  /** The component (app.kubernetes.io/component) that alone may be reached from outside. */
  entryPoint: string;
  /** The release whose pods count as "inside" (app.kubernetes.io/instance). */
  release: string;
  /** The port name other namespaces may scrape (Prometheus). */
  metricsPort: string;
}

/**
 * The network isolation of a release: a default-deny ingress policy for the namespace; exactly
 * one policy (Ingress and Egress) for each Deployment; the entry point's HTTP port open; every
 * other service reachable only from the release's own pods, except its metrics port.
 */
export function findNetworkPolicyProblems(objects: readonly K8sObject[], expected: NetworkPolicyExpectations): string[] {
  const problems: string[] = [];
  const policies = ofKind(objects, 'NetworkPolicy');
  const isDefaultDeny = (policy: K8sObject): boolean => {
    const spec = networkPolicySpec(policy);
    return isEmptySelector(spec.podSelector) && (spec.policyTypes ?? []).includes('Ingress') && (spec.ingress ?? []).length === 0;
  };
  if (!policies.some(isDefaultDeny)) problems.push('no default-deny ingress NetworkPolicy (empty podSelector, no ingress rules)');

  for (const deployment of ofKind(objects, 'Deployment')) {
    const labels = podTemplateOf(deployment)?.metadata?.labels ?? {};
    const component = labels['app.kubernetes.io/component'] ?? '';
    const own = policies.filter((policy) => {
      const selector = networkPolicySpec(policy).podSelector;
      return !isEmptySelector(selector) && selects(selector, labels);
    });
    if (own.length !== 1) {
      problems.push(`${refOf(deployment)}: selected by ${own.length} NetworkPolicies, expected exactly 1`);
      continue;
    }
    const [policy] = own as [K8sObject];
    const spec = networkPolicySpec(policy);
    for (const type of ['Ingress', 'Egress']) {
      if (!(spec.policyTypes ?? []).includes(type)) problems.push(`${refOf(policy)}: policyTypes lacks ${type}`);
    }
    const rules = spec.ingress ?? [];
    if (component === expected.entryPoint) {
      if (!rules.some((rule) => (rule.ports ?? []).some((port) => port.port === 'http'))) {
        problems.push(`${refOf(policy)}: the entry point's http port is not open`);
      }
      continue;
    }
    rules.forEach((rule, index) => {
      const where = `${refOf(policy)} ingress[${index}]`;
      if ((rule.from ?? []).length === 0) {
        problems.push(`${where}: open to every source`);
        return;
      }
      for (const peer of rule.from ?? []) {
        if (isReleasePeer(peer, expected.release)) continue;
        if (!onlyPort(rule.ports, expected.metricsPort)) {
          problems.push(`${where}: a peer outside the release (${JSON.stringify(peer)}) reaches more than the ${expected.metricsPort} port`);
        }
      }
    });
  }
  return problems;
}

function isReleasePeer(peer: NetworkPolicyPeer, release: string): boolean {
  return (
    peer.namespaceSelector === undefined &&
    peer.ipBlock === undefined &&
    peer.podSelector?.matchLabels?.['app.kubernetes.io/instance'] === release
  );
}

function onlyPort(ports: NetworkPolicyPort[] | undefined, name: string): boolean {
  return ports !== undefined && ports.length > 0 && ports.every((port) => port.port === name);
}

function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/** Whether a label selector matches a set of labels (In, NotIn, Exists, DoesNotExist). */
export function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    byLabels &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const value = labels[key];
      switch (operator) {
        case 'In':
          return value !== undefined && values.includes(value);
        case 'NotIn':
          return value === undefined || !values.includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
        default:
          return false;
      }
    })
  );
}
