import path from 'node:path';

/** The repository root (this file is tools/deploy-check/src/workspace.ts). */
export const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

/** The chart under test and its production-like values. */
export const CHART_DIR = path.join(WORKSPACE_ROOT, 'helm/bulkhead');
export const PRODUCTION_VALUES = path.join(CHART_DIR, 'values-production.yaml');

/** The engines' manifests. */
export const K8S_DIR = path.join(WORKSPACE_ROOT, 'k8s');

/**
 * Kubernetes versions the output is validated against: the oldest the chart supports
 * (Chart.yaml kubeVersion) and the newest whose schemas kubernetes-validate bundles.
 */
export const KUBE_VERSIONS = ['1.29.0', '1.37.0'] as const;
