/**
 * The catalogue of API key scopes: `resource:action`, each resource with the actions a key may
 * be granted on it (ADR 0013). A key created with scopes may do only what they name, and never
 * more than its role allows; a key created without scopes has every scope its role allows.
 */
export const SCOPE_CATALOGUE = {
  /** `read`: the organization's usage against its plan; `write`: rename, settings, plan, delete. */
  org: ['read', 'write'],
  /** The organization's members and their roles. */
  members: ['read', 'write'],
  /** Invitations to join the organization. */
  invitations: ['read', 'write'],
  /** Projects and their members. */
  projects: ['read', 'write'],
  /** Workflow definitions. */
  workflows: ['read', 'write'],
  /** `read`: runs and their steps; `write`: start runs; `control`: pause, resume, cancel, reset. */
  runs: ['read', 'write', 'control'],
  /** `read`: agents and their documents; `write`: create, change, delete, documents; `invoke`: run once. */
  agents: ['read', 'write', 'invoke'],
  /** The organization's compliance log: list, get, export, verify. */
  audit: ['read'],
} as const;

export type ScopeResource = keyof typeof SCOPE_CATALOGUE;
export type Scope = { [R in ScopeResource]: `${R}:${(typeof SCOPE_CATALOGUE)[R][number]}` }[ScopeResource];

/** Every scope of the catalogue, in its order. */
export const SCOPES: readonly Scope[] = Object.entries(SCOPE_CATALOGUE).flatMap(([resource, actions]) =>
  actions.map((action) => `${resource}:${action}` as Scope),
);

/** The shape of a scope: `resource:action`, lower-case words. */
export const SCOPE_PATTERN = /^[a-z][a-zA-Z]*:[a-z][a-zA-Z]*$/;

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * Why `value` is not a scope of the catalogue: not `resource:action`, an unknown resource, or an
 * action the resource does not have; undefined when it is one.
 */
export function scopeProblem(value: string): string | undefined {
  if (!SCOPE_PATTERN.test(value)) return `"${value}" is not resource:action`;
  const [resource = '', action = ''] = value.split(':');
  const actions: readonly string[] | undefined = (SCOPE_CATALOGUE as Record<string, readonly string[]>)[resource];
  if (actions === undefined) return `"${value}" names an unknown resource "${resource}" (known: ${Object.keys(SCOPE_CATALOGUE).join(', ')})`;
  if (!actions.includes(action)) return `"${value}" names an unknown action of ${resource} (known: ${actions.join(', ')})`;
  return undefined;
}
