import { CHART_DIR } from './workspace';
import { run, type CommandResult, type DeployTools } from './tools';

/** The release and namespace the chart is rendered as in the checks. */
export const RELEASE = 'bulkhead';
export const NAMESPACE = 'bulkhead';

/** `helm lint --strict` of the chart with extra values files (warnings fail too). */
export function helmLint(tools: DeployTools, valuesFiles: readonly string[]): CommandResult {
  return run(tools.helm, ['lint', '--strict', CHART_DIR, ...valuesFiles.flatMap((file) => ['-f', file])]);
}

/** `helm template` of the chart (hooks included) for one Kubernetes version. */
export function helmTemplate(tools: DeployTools, valuesFiles: readonly string[], kubeVersion: string): CommandResult {
  return run(tools.helm, [
    'template',
    RELEASE,
    CHART_DIR,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    kubeVersion,
    ...valuesFiles.flatMap((file) => ['-f', file]),
  ]);
}

/**
 * `helm install --dry-run=client`: renders like an install without a cluster, including the
 * NOTES.txt that `helm template` leaves out.
 */
export function helmInstallDryRun(tools: DeployTools, valuesFiles: readonly string[]): CommandResult {
  return run(tools.helm, [
    'install',
    RELEASE,
    CHART_DIR,
    '--dry-run=client',
    '--namespace',
    NAMESPACE,
    ...valuesFiles.flatMap((file) => ['-f', file]),
  ]);
}
