import { refOf, type K8sObject } from './k8s-objects';

type FieldType = 'string' | 'integer' | 'boolean' | 'object' | 'array';

interface FieldRule {
  /** Keys from the object's root; '[]' stands for every element of an array. */
  path: readonly string[];
  type: FieldType;
  optional?: boolean;
  /** Allowed values, when only some are acceptable (e.g. bypassrls: false). */
  oneOf?: readonly (string | number | boolean)[];
  minimum?: number;
}

interface CustomResourceShape {
  /** The operator that owns the kind, for messages and the README. */
  operator: string;
  /** Every key `spec` may have: a typo at the first level is an error. */
  specKeys: readonly string[];
  fields: readonly FieldRule[];
}

/**
 * The custom resources k8s/ may use, and the fields checked on each. kubernetes-validate bundles
 * only the built-in kinds, and the operators' CRDs are not available offline, so this is the
 * allow-list: the fields the platform relies on, with their types, taken from the CRDs of
 * CloudNativePG 1.30 and Strimzi 1.3 (postgresql.cnpg.io/v1, kafka.strimzi.io/v1).
 */
export const CUSTOM_RESOURCE_SHAPES: Readonly<Record<string, CustomResourceShape>> = {
  'postgresql.cnpg.io/v1 Cluster': {
    operator: 'CloudNativePG',
    specKeys: [
      'instances', 'imageName', 'imageCatalogRef', 'primaryUpdateStrategy', 'primaryUpdateMethod', 'enableSuperuserAccess',
      'superuserSecret', 'postgresql', 'bootstrap', 'managed', 'storage', 'walStorage', 'resources', 'affinity',
      'monitoring', 'backup', 'plugins', 'certificates', 'description', 'env', 'priorityClassName', 'topologySpreadConstraints',
    ],
    fields: [
      { path: ['spec', 'instances'], type: 'integer', minimum: 1 },
      { path: ['spec', 'enableSuperuserAccess'], type: 'boolean', oneOf: [false] },
      { path: ['spec', 'storage', 'size'], type: 'string' },
      { path: ['spec', 'bootstrap', 'initdb', 'database'], type: 'string' },
      { path: ['spec', 'bootstrap', 'initdb', 'owner'], type: 'string' },
      { path: ['spec', 'bootstrap', 'initdb', 'secret', 'name'], type: 'string' },
      { path: ['spec', 'managed', 'roles', '[]', 'name'], type: 'string' },
      { path: ['spec', 'managed', 'roles', '[]', 'ensure'], type: 'string', oneOf: ['present'] },
      { path: ['spec', 'managed', 'roles', '[]', 'login'], type: 'boolean' },
      { path: ['spec', 'managed', 'roles', '[]', 'superuser'], type: 'boolean', oneOf: [false] },
      { path: ['spec', 'managed', 'roles', '[]', 'bypassrls'], type: 'boolean', oneOf: [false] },
      { path: ['spec', 'managed', 'roles', '[]', 'passwordSecret', 'name'], type: 'string' },
    ],
  },
  'postgresql.cnpg.io/v1 Database': {
    operator: 'CloudNativePG',
    specKeys: ['name', 'owner', 'ensure', 'cluster', 'databaseReclaimPolicy', 'encoding', 'template', 'extensions', 'schemas'],
    fields: [
      { path: ['spec', 'name'], type: 'string' },
      { path: ['spec', 'owner'], type: 'string' },
      { path: ['spec', 'ensure'], type: 'string', oneOf: ['present', 'absent'] },
      { path: ['spec', 'cluster', 'name'], type: 'string' },
    ],
  },
  'kafka.strimzi.io/v1 Kafka': {
    operator: 'Strimzi',
    specKeys: ['kafka', 'entityOperator', 'cruiseControl', 'kafkaExporter', 'clusterCa', 'clientsCa', 'maintenanceTimeWindows'],
    fields: [
      { path: ['spec', 'kafka', 'version'], type: 'string' },
      { path: ['spec', 'kafka', 'metadataVersion'], type: 'string' },
      { path: ['spec', 'kafka', 'listeners', '[]', 'name'], type: 'string' },
      { path: ['spec', 'kafka', 'listeners', '[]', 'port'], type: 'integer', minimum: 9092 },
      { path: ['spec', 'kafka', 'listeners', '[]', 'type'], type: 'string', oneOf: ['internal', 'route', 'tlsroute', 'loadbalancer', 'nodeport', 'ingress', 'cluster-ip'] },
      { path: ['spec', 'kafka', 'listeners', '[]', 'tls'], type: 'boolean' },
      { path: ['spec', 'kafka', 'config'], type: 'object' },
      { path: ['spec', 'entityOperator', 'topicOperator'], type: 'object' },
    ],
  },
  'kafka.strimzi.io/v1 KafkaNodePool': {
    operator: 'Strimzi',
    specKeys: ['replicas', 'roles', 'storage', 'resources', 'jvmOptions', 'template'],
    fields: [
      { path: ['metadata', 'labels', 'strimzi.io/cluster'], type: 'string' },
      { path: ['spec', 'replicas'], type: 'integer', minimum: 1 },
      { path: ['spec', 'roles'], type: 'array' },
      { path: ['spec', 'storage', 'type'], type: 'string', oneOf: ['jbod', 'persistent-claim', 'ephemeral'] },
    ],
  },
  'kafka.strimzi.io/v1 KafkaTopic': {
    operator: 'Strimzi',
    specKeys: ['topicName', 'partitions', 'replicas', 'config'],
    fields: [
      { path: ['metadata', 'labels', 'strimzi.io/cluster'], type: 'string' },
      { path: ['spec', 'topicName'], type: 'string' },
      { path: ['spec', 'partitions'], type: 'integer', minimum: 1 },
      { path: ['spec', 'replicas'], type: 'integer', minimum: 1 },
      { path: ['spec', 'config'], type: 'object' },
    ],
  },
};

/** The allow-list key of an object: "apiVersion Kind". */
export function customResourceKey(object: Pick<K8sObject, 'apiVersion' | 'kind'>): string {
  return `${object.apiVersion} ${object.kind}`;
}

/**
 * Problems of one custom resource against its allow-listed shape, as sentences (empty = none).
 * A kind that is not on the allow-list is itself a problem: nothing goes unchecked silently.
 */
export function findCustomResourceProblems(object: K8sObject): string[] {
  const shape = CUSTOM_RESOURCE_SHAPES[customResourceKey(object)];
  if (shape === undefined) return [`${refOf(object)}: ${customResourceKey(object)} is not on the custom-resource allow-list`];
  const problems: string[] = [];
  const spec = object['spec'];
  if (typeof spec !== 'object' || spec === null) return [`${refOf(object)}: no spec`];
  for (const key of Object.keys(spec)) {
    if (!shape.specKeys.includes(key)) problems.push(`${refOf(object)}: spec.${key} is not a field of ${object.kind}`);
  }
  for (const rule of shape.fields) {
    for (const { where, value } of valuesAt(object, rule.path)) {
      const problem = checkField(rule, value);
      if (problem !== undefined) problems.push(`${refOf(object)}: ${where} ${problem}`);
    }
  }
  return problems;
}

function checkField(rule: FieldRule, value: unknown): string | undefined {
  if (value === undefined) return rule.optional === true ? undefined : 'is missing';
  if (typeOf(value) !== rule.type) return `is ${typeOf(value)}, expected ${rule.type}`;
  if (rule.oneOf !== undefined && !rule.oneOf.includes(value as string | number | boolean)) {
    return `is ${JSON.stringify(value)}, expected one of ${JSON.stringify(rule.oneOf)}`;
  }
  if (rule.minimum !== undefined && typeof value === 'number' && value < rule.minimum) return `is below ${rule.minimum}`;
  return undefined;
}

function typeOf(value: unknown): FieldType | 'number' | 'null' | 'undefined' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'object') return typeof value as FieldType;
  return 'undefined';
}

/** Every value at a path, expanding '[]' over array elements; a missing parent yields undefined. */
function valuesAt(root: unknown, path: readonly string[]): { where: string; value: unknown }[] {
  let current: { where: string; value: unknown }[] = [{ where: '', value: root }];
  for (const key of path) {
    current = current.flatMap(({ where, value }) => {
      if (key === '[]') {
        if (!Array.isArray(value)) return [{ where: `${where}[]`, value: undefined }];
        return value.map((item, index) => ({ where: `${where}[${index}]`, value: item as unknown }));
      }
      const next = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
      return [{ where: where === '' ? key : `${where}.${key}`, value: next }];
    });
  }
  return current;
}
