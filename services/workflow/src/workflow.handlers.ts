import type { workflowV1, WorkflowServiceService } from '@bulkhead/contracts';
import type { FieldViolation } from '@bulkhead/errors';
import { parseRequest, readPage, type ServiceImplementation } from '@bulkhead/grpc-kit';
import { z } from 'zod';
import { callerOf, type WorkflowCallContext } from './caller';
import { invalidDefinition, parseJsonField, toStepMessages, validateSteps } from './definitions/step-definitions';
import type { WorkflowRecord } from './definitions/workflows.repository';
import type { WorkflowsService } from './definitions/workflows.service';
import type { RunControl } from './runs/run-transitions';
import { RUN_STATUSES, type RunRecord, type StepExecutionRecord } from './runs/runs.repository';
import type { RunsService, RunWithSteps } from './runs/runs.service';

const uuid = z.uuid('must be a UUID');
const optionalUuid = z.union([z.literal('').transform(() => undefined), uuid]);
const name = z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters');
const page = z.object({ pageSize: z.number(), cursor: z.string() }).optional();

const schemas = {
  create: z.object({ projectId: uuid, name }),
  byId: z.object({ id: uuid }),
  list: z.object({ page, projectId: optionalUuid }),
  update: z.object({ id: uuid, name: name.optional() }),
  start: z.object({ workflowId: uuid }),
  listRuns: z.object({
    page,
    workflowId: optionalUuid,
    status: z.union([z.literal('').transform(() => undefined), z.enum(RUN_STATUSES, `must be one of ${RUN_STATUSES.join(', ')}`)]),
  }),
  step: z.object({ runId: uuid, stepId: z.string().min(1, 'is required').max(63, 'must be at most 63 characters') }),
};

const toWorkflow = (workflow: WorkflowRecord): workflowV1.Workflow => ({
  id: workflow.id,
  projectId: workflow.projectId,
  name: workflow.name,
  version: workflow.version,
  steps: toStepMessages(workflow.steps),
  createdAt: workflow.createdAt.toISOString(),
  updatedAt: workflow.updatedAt.toISOString(),
});

const json = (value: unknown): string => (value === null || value === undefined ? '' : JSON.stringify(value));

const toStepState = (execution: StepExecutionRecord): workflowV1.StepState => ({
  id: execution.stepId,
  status: execution.status,
  attempts: execution.attempts,
  inputJson: json(execution.input),
  outputJson: json(execution.output),
  error: execution.error ?? '',
  startedAt: execution.startedAt?.toISOString(),
  finishedAt: execution.finishedAt?.toISOString(),
  generation: execution.generation,
});

/** The run with one state per step of its current generation (`pending` for steps not reached yet). */
const toRun = (run: RunRecord, executions: readonly StepExecutionRecord[] = []): workflowV1.Run => ({
  id: run.id,
  workflowId: run.workflowId,
  workflowVersion: run.workflowVersion,
  status: run.status,
  inputJson: JSON.stringify(run.input),
  steps: run.steps.map((step) => {
    const execution = executions.find((e) => e.generation === run.generation && e.stepId === step.id);
    return execution === undefined
      ? { id: step.id, status: run.status === 'cancelled' ? 'cancelled' : 'pending', attempts: 0, inputJson: '', outputJson: '', error: '', generation: run.generation }
      : toStepState(execution);
  }),
  generation: run.generation,
  error: run.error ?? '',
  createdAt: run.createdAt.toISOString(),
  updatedAt: run.updatedAt.toISOString(),
  finishedAt: run.finishedAt?.toISOString(),
});

const runResponse = ({ run, executions }: RunWithSteps) => ({ run: toRun(run, executions) });

/** The run input: JSON text (empty = {}), 422 naming `input` when it is not. */
function runInputOf(text: string) {
  const violations: FieldViolation[] = [];
  const input = parseJsonField(text, 'input', violations);
  if (input === undefined) throw invalidDefinition(violations);
  return input;
}

export interface WorkflowHandlerDependencies {
  workflows: WorkflowsService;
  runs: RunsService;
}

/** The WorkflowService: validates each request at the edge, then calls the workflows or runs service. */
export function createWorkflowHandlers(deps: WorkflowHandlerDependencies): ServiceImplementation<typeof WorkflowServiceService, WorkflowCallContext> {
  const control = (which: RunControl) => async (request: { id: string }, ctx: WorkflowCallContext) => {
    const { id } = parseRequest(schemas.byId, request);
    return runResponse(await deps.runs.control(callerOf(ctx), id, which));
  };
  return {
    async createWorkflow(request, ctx) {
      const input = parseRequest(schemas.create, request);
      const steps = validateSteps(request.steps);
      return { workflow: toWorkflow(await deps.workflows.create(callerOf(ctx), { ...input, steps })) };
    },
    async getWorkflow(request, ctx) {
      const { id } = parseRequest(schemas.byId, request);
      return { workflow: toWorkflow(await deps.workflows.get(callerOf(ctx), id)) };
    },
    async listWorkflows(request, ctx) {
      const input = parseRequest(schemas.list, request);
      const { items, nextCursor } = await deps.workflows.list(callerOf(ctx), readPage(input.page), input.projectId);
      return { items: items.map(toWorkflow), page: { nextCursor } };
    },
    async updateWorkflow(request, ctx) {
      const input = parseRequest(schemas.update, request);
      const steps = request.replaceSteps ? validateSteps(request.steps) : undefined;
      return { workflow: toWorkflow(await deps.workflows.update(callerOf(ctx), input.id, { name: input.name, steps })) };
    },
    async deleteWorkflow(request, ctx) {
      const { id } = parseRequest(schemas.byId, request);
      await deps.workflows.delete(callerOf(ctx), id);
      return {};
    },
    async startRun(request, ctx) {
      const { workflowId } = parseRequest(schemas.start, request);
      return runResponse(await deps.runs.start(callerOf(ctx), workflowId, runInputOf(request.inputJson)));
    },
    async getRun(request, ctx) {
      const { id } = parseRequest(schemas.byId, request);
      return runResponse(await deps.runs.get(callerOf(ctx), id));
    },
    async listRuns(request, ctx) {
      const input = parseRequest(schemas.listRuns, request);
      const { items, nextCursor } = await deps.runs.list(callerOf(ctx), readPage(input.page), { workflowId: input.workflowId, status: input.status });
      // A list shows runs, not their steps (GET /v1/runs/{id} has them).
      return { items: items.map((run) => ({ ...toRun(run), steps: [] })), page: { nextCursor } };
    },
    async getRunStep(request, ctx) {
      const { runId, stepId } = parseRequest(schemas.step, request);
      const { run, step, history } = await deps.runs.step(callerOf(ctx), runId, stepId);
      const current = toRun(run, step === undefined ? [] : [step]).steps.find((state) => state.id === stepId);
      return { step: current, history: history.map(toStepState) };
    },
    async getWorkflowUsage(_request, ctx) {
      return deps.runs.usage(callerOf(ctx));
    },
    pauseRun: control('pause'),
    resumeRun: control('resume'),
    cancelRun: control('cancel'),
    resetRun: control('reset'),
  };
}
