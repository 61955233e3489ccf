import type { workflowV1 } from '@bulkhead/contracts';
import { AppError, type FieldViolation } from '@bulkhead/errors';
import { parseJsonText } from '@bulkhead/grpc-kit';
import { inspectTemplate, type JsonValue } from '@bulkhead/templates';

/** A step as stored and run: its input is a parsed JSON template. */
export interface WorkflowStep {
  id: string;
  agentId: string;
  input: JsonValue;
  retry: { maxAttempts: number; backoffMs: number };
  timeoutMs: number;
}

export const MAX_STEPS = 50;
export const MAX_ATTEMPTS = 10;
export const DEFAULT_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 600_000;
export const DEFAULT_STEP_TIMEOUT_MS = 30_000;
export const MAX_STEP_TIMEOUT_MS = 300_000;
/** The largest template or run input accepted, as JSON text. */
export const MAX_JSON_BYTES = 64 * 1024;

const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A request that parses but describes no valid workflow: 422 naming every path at fault. */
export function invalidDefinition(violations: readonly FieldViolation[]): AppError {
  return new AppError({
    kind: 'UNPROCESSABLE',
    code: 'INVALID_WORKFLOW',
    message: `The workflow is not valid: ${violations.map((v) => `${v.field} ${v.description}`).join('; ')}`,
    fieldViolations: violations,
  });
}

/** Parses JSON text (empty = `{}`), naming `field` when it is not JSON, too large or breaks the edge rules (ADR 0014). */
export function parseJsonField(text: string, field: string, violations: FieldViolation[]): JsonValue | undefined {
  if (Buffer.byteLength(text, 'utf8') > MAX_JSON_BYTES) {
    violations.push({ field, description: `must be at most ${MAX_JSON_BYTES} bytes` });
    return undefined;
  }
  const parsed = parseJsonText(text, field);
  if (parsed.ok) return parsed.value as JsonValue;
  violations.push(...parsed.violations);
  return undefined;
}

function checkReferences(input: JsonValue, index: number, earlier: ReadonlySet<string>, all: ReadonlySet<string>, violations: FieldViolation[]): void {
  const { references, problems } = inspectTemplate(input);
  const fieldOf = (location: string) => `steps[${index}].input${location === '' ? '' : `.${location}`}`;
  for (const problem of problems) violations.push({ field: fieldOf(problem.location), description: problem.message });
  for (const { location, path } of references) {
    const [root, second, third] = path;
    if (root === 'run' && second === 'input') continue;
    if (root === 'steps' && second !== undefined && third === 'output') {
      if (earlier.has(second)) continue;
      violations.push({
        field: fieldOf(location),
        description: all.has(second)
          ? `refers to step "${second}", which does not run before this one (a step may use only earlier steps' outputs)`
          : `refers to unknown step "${second}"`,
      });
      continue;
    }
    violations.push({ field: fieldOf(location), description: `{{${path.join('.')}}} must start with run.input or steps.<step id>.output` });
  }
}

/**
 * The steps of a definition, checked as a whole: ids unique and well-formed, agent ids UUIDs,
 * inputs JSON templates referring only to the run input and earlier steps (so no cycle or
 * forward reference can exist), retry and timeout within bounds. Throws 422 naming every
 * problem; agents' existence is checked by the caller (it needs the agent service).
 */
export function validateSteps(steps: readonly workflowV1.Step[]): WorkflowStep[] {
  const violations: FieldViolation[] = [];
  if (steps.length === 0) violations.push({ field: 'steps', description: 'must have at least one step' });
  if (steps.length > MAX_STEPS) violations.push({ field: 'steps', description: `must have at most ${MAX_STEPS} steps` });
  const all = new Set(steps.map((step) => step.id));
  const earlier = new Set<string>();
  const valid: WorkflowStep[] = [];
  steps.forEach((step, index) => {
    const at = `steps[${index}]`;
    if (!STEP_ID.test(step.id)) violations.push({ field: `${at}.id`, description: 'must be a letter then letters, digits, _ or - (at most 63)' });
    else if (earlier.has(step.id)) violations.push({ field: `${at}.id`, description: `duplicates an earlier step's id "${step.id}"` });
    if (!UUID.test(step.agentId)) violations.push({ field: `${at}.agentId`, description: 'must be an agent id (a UUID)' });
    const input = parseJsonField(step.inputJson, `${at}.input`, violations);
    if (input !== undefined) checkReferences(input, index, earlier, all, violations);
    const maxAttempts = step.retry?.maxAttempts || 1;
    if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) violations.push({ field: `${at}.retry.maxAttempts`, description: `must be 1 to ${MAX_ATTEMPTS}` });
    const backoffMs = step.retry?.backoffMs || DEFAULT_BACKOFF_MS;
    if (backoffMs < 0 || backoffMs > MAX_BACKOFF_MS) violations.push({ field: `${at}.retry.backoffMs`, description: `must be 0 to ${MAX_BACKOFF_MS}` });
    const timeoutMs = step.timeoutMs || DEFAULT_STEP_TIMEOUT_MS;
    if (timeoutMs < 1 || timeoutMs > MAX_STEP_TIMEOUT_MS) violations.push({ field: `${at}.timeoutMs`, description: `must be 1 to ${MAX_STEP_TIMEOUT_MS}` });
    earlier.add(step.id);
    if (input !== undefined) valid.push({ id: step.id, agentId: step.agentId.toLowerCase(), input, retry: { maxAttempts, backoffMs }, timeoutMs });
  });
  if (violations.length > 0) throw invalidDefinition(violations);
  return valid;
}

/** The wire form of stored steps. */
export function toStepMessages(steps: readonly WorkflowStep[]): workflowV1.Step[] {
  return steps.map((step) => ({
    id: step.id,
    agentId: step.agentId,
    inputJson: JSON.stringify(step.input),
    retry: step.retry,
    timeoutMs: step.timeoutMs,
  }));
}
