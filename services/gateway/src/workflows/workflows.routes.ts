import { authenticatedRouteSchema, type Authentication } from '../authentication/authentication.hooks';
import { nextCursorOf, noContent, pageRequestOf } from '../http/common.schemas';
import type { HttpApp } from '../http/http-app';
import { requiredField } from '../upstream/upstream-call';
import { configuredUpstream } from '../upstream/upstream-client';
import type { WorkflowClient } from '../upstream/workflow.upstream';
import {
  createWorkflowBody,
  listRunsQuery,
  listWorkflowsQuery,
  runIdParams,
  runListResponse,
  runResponse,
  runStepParams,
  runStepResponse,
  startRunBody,
  toRunResponse,
  toStepMessage,
  toStepStateResponse,
  toWorkflowResponse,
  updateWorkflowBody,
  workflowIdParams,
  workflowListResponse,
  workflowResponse,
} from './workflows.schemas';
import { problemResponses } from '../http/problem-responses';

const CONTROLS = ['pause', 'resume', 'cancel', 'reset'] as const;

/**
 * `/v1/workflows` and `/v1/runs`: definitions in projects, their runs and run control,
 * forwarded to the workflow service (project permissions, 422 naming the path of an invalid
 * definition, 409 for a control the run's state forbids; another org's ids are 404).
 */
export function registerWorkflowRoutes(app: HttpApp, deps: { workflows: WorkflowClient | undefined; authentication: Authentication }): void {
  const { authentication } = deps;
  const schemaOf = (tags: string[], summary: string) => ({ ...authenticatedRouteSchema, tags, summary });
  const workflows = () => configuredUpstream('workflow', deps.workflows, 'WORKFLOW_GRPC_ADDRESS');

  app.get(
    '/v1/workflows',
    { ...authentication.hooks, schema: { ...schemaOf(['workflows'], 'Workflows of the projects the caller can see, newest first'), querystring: listWorkflowsQuery, response: { 200: workflowListResponse } } },
    async (request) => {
      const { projectId, ...page } = request.query;
      const answer = await workflows().listWorkflows({ page: pageRequestOf(page), projectId: projectId ?? '' }, authentication.callOptionsOf(request));
      return { items: answer.items.map(toWorkflowResponse), nextCursor: nextCursorOf(answer.page) };
    },
  );

  app.post(
    '/v1/workflows',
    { ...authentication.hooks, schema: { ...schemaOf(['workflows'], 'Define a workflow (owner, admin; project admin, editor)'), body: createWorkflowBody, response: { 201: workflowResponse, ...problemResponses(402, 409, 422) } } },
    async (request, reply) => {
      const { projectId, name, steps } = request.body;
      const answer = await workflows().createWorkflow({ projectId, name, steps: steps.map(toStepMessage) }, authentication.callOptionsOf(request));
      return reply.status(201).send(toWorkflowResponse(requiredField(answer.workflow, 'workflow')));
    },
  );

  app.get('/v1/workflows/:id', { ...authentication.hooks, schema: { ...schemaOf(['workflows'], 'One workflow'), params: workflowIdParams, response: { 200: workflowResponse } } }, async (request) => {
    const answer = await workflows().getWorkflow({ id: request.params.id }, authentication.callOptionsOf(request));
    return toWorkflowResponse(requiredField(answer.workflow, 'workflow'));
  });

  app.patch(
    '/v1/workflows/:id',
    { ...authentication.hooks, schema: { ...schemaOf(['workflows'], 'Change a workflow (a new version)'), params: workflowIdParams, body: updateWorkflowBody, response: { 200: workflowResponse, ...problemResponses(409, 422) } } },
    async (request) => {
      const { name, steps } = request.body;
      const answer = await workflows().updateWorkflow(
        { id: request.params.id, name, steps: (steps ?? []).map(toStepMessage), replaceSteps: steps !== undefined },
        authentication.callOptionsOf(request),
      );
      return toWorkflowResponse(requiredField(answer.workflow, 'workflow'));
    },
  );

  app.delete(
    '/v1/workflows/:id',
    { ...authentication.hooks, schema: { ...schemaOf(['workflows'], 'Delete a workflow and its runs'), params: workflowIdParams, response: { 204: noContent('Deleted') } } },
    async (request, reply) => {
      await workflows().deleteWorkflow({ id: request.params.id }, authentication.callOptionsOf(request));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/workflows/:id/runs',
    { ...authentication.hooks, schema: { ...schemaOf(['runs'], 'Start a run (project editor+); it waits for a concurrency slot'), params: workflowIdParams, body: startRunBody, response: { 202: runResponse, ...problemResponses(409, 422) } } },
    async (request, reply) => {
      const answer = await workflows().startRun({ workflowId: request.params.id, inputJson: JSON.stringify(request.body.input ?? {}) }, authentication.callOptionsOf(request));
      return reply.status(202).send(toRunResponse(requiredField(answer.run, 'run')));
    },
  );

  app.get('/v1/runs', { ...authentication.hooks, schema: { ...schemaOf(['runs'], 'Runs, newest first (without steps)'), querystring: listRunsQuery, response: { 200: runListResponse } } }, async (request) => {
    const { workflowId, status, ...page } = request.query;
    const answer = await workflows().listRuns({ page: pageRequestOf(page), workflowId: workflowId ?? '', status: status ?? '' }, authentication.callOptionsOf(request));
    return { items: answer.items.map(toRunResponse), nextCursor: nextCursorOf(answer.page) };
  });

  app.get('/v1/runs/:id', { ...authentication.hooks, schema: { ...schemaOf(['runs'], 'A run with every step’s state'), params: runIdParams, response: { 200: runResponse } } }, async (request) => {
    const answer = await workflows().getRun({ id: request.params.id }, authentication.callOptionsOf(request));
    return toRunResponse(requiredField(answer.run, 'run'));
  });

  app.get(
    '/v1/runs/:id/steps/:stepId',
    { ...authentication.hooks, schema: { ...schemaOf(['runs'], "One step's input, output, error, attempts and history"), params: runStepParams, response: { 200: runStepResponse } } },
    async (request) => {
      const answer = await workflows().getRunStep({ runId: request.params.id, stepId: request.params.stepId }, authentication.callOptionsOf(request));
      return { ...toStepStateResponse(requiredField(answer.step, 'step')), history: answer.history.map(toStepStateResponse) };
    },
  );

  for (const control of CONTROLS) {
    app.post(
      `/v1/runs/:id/${control}`,
      { ...authentication.hooks, schema: { ...schemaOf(['runs'], `${control[0]?.toUpperCase()}${control.slice(1)} a run (409 when its state forbids it)`), params: runIdParams, response: { 200: runResponse, ...problemResponses(409) } } },
      async (request) => {
        const client = workflows();
        const options = authentication.callOptionsOf(request);
        const request_ = { id: request.params.id };
        const answer =
          control === 'pause' ? await client.pauseRun(request_, options) : control === 'resume' ? await client.resumeRun(request_, options) : control === 'cancel' ? await client.cancelRun(request_, options) : await client.resetRun(request_, options);
        return toRunResponse(requiredField(answer.run, 'run'));
      },
    );
  }
}
