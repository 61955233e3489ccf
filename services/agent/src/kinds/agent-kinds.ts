import { AppError, type FieldViolation } from '@bulkhead/errors';
import { parseJsonText } from '@bulkhead/grpc-kit';
import { inspectTemplate, type JsonValue } from '@bulkhead/templates';
import { z } from 'zod';

export const AGENT_KINDS = ['http', 'transform', 'knowledge-qa'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export const HTTP_AGENT_DEFAULT_TIMEOUT_MS = 10_000;
export const HTTP_AGENT_MAX_TIMEOUT_MS = 30_000;

const json: z.ZodType<JsonValue> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(json), z.record(z.string(), json)]));

/** Each kind's config (DESIGN "Bodies"). */
export const CONFIG_SCHEMAS = {
  http: z
    .object({
      url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], 'must be GET, POST, PUT, PATCH or DELETE').default('POST'),
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name'), z.string()).default({}),
      body: json.optional(),
      timeoutMs: z.number().int('must be a whole number').min(1, 'must be at least 1').max(HTTP_AGENT_MAX_TIMEOUT_MS, `must be at most ${HTTP_AGENT_MAX_TIMEOUT_MS}`).default(HTTP_AGENT_DEFAULT_TIMEOUT_MS),
    })
    .strict(),
  transform: z.object({ template: json.refine((value) => value !== undefined, 'is required') }).strict(),
  'knowledge-qa': z.object({ maxPassages: z.number().int('must be a whole number').min(1, 'must be at least 1').max(20, 'must be at most 20').default(3) }).strict(),
} as const;

export type AgentConfig<K extends AgentKind = AgentKind> = z.infer<(typeof CONFIG_SCHEMAS)[K]>;
export type HttpAgentConfig = AgentConfig<'http'>;
export type TransformAgentConfig = AgentConfig<'transform'>;
export type KnowledgeQaConfig = AgentConfig<'knowledge-qa'>;

/** 422 naming every path at fault; nothing is saved. */
export function invalidAgent(violations: readonly FieldViolation[]): AppError {
  return new AppError({
    kind: 'UNPROCESSABLE',
    code: 'INVALID_AGENT',
    message: `The agent is not valid: ${violations.map((v) => `${v.field} ${v.description}`).join('; ')}`,
    fieldViolations: violations,
  });
}

export function isAgentKind(value: string): value is AgentKind {
  return (AGENT_KINDS as readonly string[]).includes(value);
}

/** Templates of a config may only read the invocation's `input`. */
function templateViolations(template: JsonValue | undefined, field: string): FieldViolation[] {
  if (template === undefined) return [];
  const { references, problems } = inspectTemplate(template);
  const at = (location: string) => (location === '' ? field : `${field}.${location}`);
  return [
    ...problems.map((problem) => ({ field: at(problem.location), description: problem.message })),
    ...references.filter((ref) => ref.path[0] !== 'input').map((ref) => ({ field: at(ref.location), description: `{{${ref.path.join('.')}}} must start with input` })),
  ];
}

/** The kind and its config from a request (JSON text), checked; throws 422 naming `kind` or `config.<path>`. */
export function validateAgentConfig(kind: string, configJson: string): { kind: AgentKind; config: AgentConfig } {
  if (!isAgentKind(kind)) throw invalidAgent([{ field: 'kind', description: `must be one of ${AGENT_KINDS.join(', ')}` }]);
  const raw = parseJsonText(configJson, 'config');
  if (!raw.ok) throw invalidAgent(raw.violations);
  const parsed = CONFIG_SCHEMAS[kind].safeParse(raw.value);
  if (!parsed.success) {
    throw invalidAgent(parsed.error.issues.map((issue) => ({ field: ['config', ...issue.path.map(String)].join('.'), description: issue.message })));
  }
  const config = parsed.data as AgentConfig;
  const violations =
    kind === 'http' ? templateViolations((config as HttpAgentConfig).body, 'config.body') : kind === 'transform' ? templateViolations((config as TransformAgentConfig).template, 'config.template') : [];
  if (violations.length > 0) throw invalidAgent(violations);
  return { kind, config };
}
