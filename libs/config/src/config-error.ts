/** One environment variable that is missing or wrong, and what is wrong with it. */
export interface ConfigIssue {
  variable: string;
  problem: string;
}

/** Start-up configuration is invalid; the message names every offending variable. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.problem}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
