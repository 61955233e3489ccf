import { findCustomResourceProblems } from './custom-resources';
import type { K8sObject } from './k8s-objects';

function topic(spec: Record<string, unknown>): K8sObject {
  return {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: { name: 't', labels: { 'strimzi.io/cluster': 'c' } },
    spec: { topicName: 't', partitions: 3, replicas: 3, config: {}, ...spec },
  };
}

function cluster(role: Record<string, unknown>): K8sObject {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'pg' },
    spec: {
      instances: 3,
      enableSuperuserAccess: false,
      storage: { size: '1Gi' },
      bootstrap: { initdb: { database: 'db', owner: 'o', secret: { name: 's' } } },
      managed: {
        roles: [
          { name: 'app', ensure: 'present', login: true, superuser: false, bypassrls: false, passwordSecret: { name: 'p' }, ...role },
        ],
      },
    },
  };
}

describe('findCustomResourceProblems', () => {
  it('accepts resources of the allow-listed shape', () => {
    expect(findCustomResourceProblems(topic({}))).toEqual([]);
    expect(findCustomResourceProblems(cluster({}))).toEqual([]);
  });

  it('reports a kind that is not on the allow-list instead of skipping it', () => {
    expect(findCustomResourceProblems({ ...topic({}), apiVersion: 'kafka.strimzi.io/v1beta2' })).toEqual([
      'KafkaTopic/t: kafka.strimzi.io/v1beta2 KafkaTopic is not on the custom-resource allow-list',
    ]);
  });

  it.each([
    ['a wrong type', topic({ partitions: '12' }), 'KafkaTopic/t: spec.partitions is string, expected integer'],
    ['a missing field', topic({ replicas: undefined }), 'KafkaTopic/t: spec.replicas is missing'],
    ['a value below the minimum', topic({ partitions: 0 }), 'KafkaTopic/t: spec.partitions is below 1'],
    ['an unknown spec key', topic({ retention: 1 }), 'KafkaTopic/t: spec.retention is not a field of KafkaTopic'],
    ['a role that bypasses row-level security', cluster({ bypassrls: true }), 'Cluster/pg: spec.managed.roles[0].bypassrls is true, expected one of [false]'],
  ])('reports %s', (_case, object, problem) => {
    expect(findCustomResourceProblems(object)).toEqual([problem]);
  });
});
