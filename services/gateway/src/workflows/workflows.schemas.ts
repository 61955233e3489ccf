import type { workflowV1 } from '@bulkhead/contracts';
import { z } from 'zod';
import { parsedJson } from '../agents/agents.schemas';
import { displayName, listResponse, pageQuery, STRICT_BODY_NOTE, uuidParam } from '../http/common.schemas';

export const workflowIdParams = z.object({ id: uuidParam('The workflow id.') });
export const runIdParams = z.object({ id: uuidParam('The run id.') });
export const runStepParams = runIdParams.extend({ stepId: z.string().min(1).max(63).describe('The step id.') });

/** The workflow service's bounds of a step (`MAX_ATTEMPTS`, `MAX_BACKOFF_MS`, `MAX_STEP_TIMEOUT_MS` there). */
const STEP_LIMITS = { maxAttempts: 10, maxBackoffMs: 600_000, maxTimeoutMs: 300_000 } as const;

const step = z
  .strictObject({
    id: z.string().describe('Unique in the workflow; letters, digits, _ and -.'),
    agentId: z.string().describe("An agent of the organization (another's, or none: 404)."),
    input: z.unknown().describe('A JSON template over run.input.… and steps.<earlier step>.output.…'),
    retry: z
      .strictObject({
        maxAttempts: z.int().min(1).max(STEP_LIMITS.maxAttempts).optional().describe(`1 to ${STEP_LIMITS.maxAttempts}; default 1.`),
        backoffMs: z.int().min(0).max(STEP_LIMITS.maxBackoffMs).optional().describe(`0 to ${STEP_LIMITS.maxBackoffMs}; 0 or unset: 1000.`),
      })
      .optional(),
    timeoutMs: z.int().min(1).max(STEP_LIMITS.maxTimeoutMs).optional().describe(`1 to ${STEP_LIMITS.maxTimeoutMs}; default 30000.`),
  })
  .describe('One step; problems answer 422 naming `steps[i].<field>`.');

export const createWorkflowBody = z.strictObject({ projectId: z.uuid(), name: displayName, steps: z.array(step) }).describe(`A workflow in a project. ${STRICT_BODY_NOTE}`);
export const updateWorkflowBody = z.strictObject({ name: displayName.optional(), steps: z.array(step).optional() }).describe(`A new version: the fields set change. ${STRICT_BODY_NOTE}`);
export const listWorkflowsQuery = pageQuery.extend({ projectId: z.uuid().optional().describe('Only this project’s workflows.') });
export const startRunBody = z.strictObject({ input: z.unknown().optional().describe('The run input (JSON); default {}.') }).describe(STRICT_BODY_NOTE);
export const listRunsQuery = pageQuery.extend({
  workflowId: z.uuid().optional(),
  status: z.enum(['pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled']).optional(),
});

const stepResponse = z.object({ id: z.string(), agentId: z.string(), input: z.unknown(), retry: z.object({ maxAttempts: z.number(), backoffMs: z.number() }), timeoutMs: z.number() });
export const workflowResponse = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  version: z.number(),
  steps: z.array(stepResponse),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export const workflowListResponse = listResponse(workflowResponse);

export const stepStateResponse = z.object({
  id: z.string(),
  status: z.string().describe('pending, running, succeeded, failed or cancelled.'),
  attempts: z.number(),
  input: z.unknown(),
  output: z.unknown(),
  error: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  generation: z.number().describe('0 for the first attempt of the run, +1 per reset.'),
});
export const runResponse = z.object({
  id: z.string(),
  workflowId: z.string(),
  workflowVersion: z.number(),
  status: z.string(),
  input: z.unknown(),
  generation: z.number(),
  error: z.string().nullable(),
  steps: z.array(stepStateResponse),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export const runListResponse = listResponse(runResponse);
export const runStepResponse = stepStateResponse.extend({ history: z.array(stepStateResponse).describe('Earlier generations, newest first.') });

/** A request step as the service takes it (templates as JSON text). */
export const toStepMessage = (body: z.infer<typeof step>): workflowV1.Step => ({
  id: body.id,
  agentId: body.agentId,
  inputJson: JSON.stringify(body.input ?? {}),
  retry: body.retry === undefined ? undefined : { maxAttempts: body.retry.maxAttempts ?? 0, backoffMs: body.retry.backoffMs ?? 0 },
  timeoutMs: body.timeoutMs ?? 0,
});

export const toWorkflowResponse = (workflow: workflowV1.Workflow): z.infer<typeof workflowResponse> => ({
  id: workflow.id,
  projectId: workflow.projectId,
  name: workflow.name,
  version: workflow.version,
  steps: workflow.steps.map((s) => ({ id: s.id, agentId: s.agentId, input: parsedJson(s.inputJson), retry: s.retry ?? { maxAttempts: 1, backoffMs: 0 }, timeoutMs: s.timeoutMs })),
  createdAt: workflow.createdAt ?? null,
  updatedAt: workflow.updatedAt ?? null,
});

export const toStepStateResponse = (state: workflowV1.StepState): z.infer<typeof stepStateResponse> => ({
  id: state.id,
  status: state.status,
  attempts: state.attempts,
  input: parsedJson(state.inputJson),
  output: parsedJson(state.outputJson),
  error: state.error === '' ? null : state.error,
  startedAt: state.startedAt ?? null,
  finishedAt: state.finishedAt ?? null,
  generation: state.generation,
});

export const toRunResponse = (run: workflowV1.Run): z.infer<typeof runResponse> => ({
  id: run.id,
  workflowId: run.workflowId,
  workflowVersion: run.workflowVersion,
  status: run.status,
  input: parsedJson(run.inputJson),
  generation: run.generation,
  error: run.error === '' ? null : run.error,
  steps: run.steps.map(toStepStateResponse),
  createdAt: run.createdAt ?? null,
  updatedAt: run.updatedAt ?? null,
  finishedAt: run.finishedAt ?? null,
});
