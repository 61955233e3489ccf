import { authenticatedRouteSchema, type Authentication } from '../authentication/authentication.hooks';
import { nextCursorOf, noContent, pageQuery, pageRequestOf } from '../http/common.schemas';
import type { HttpApp } from '../http/http-app';
import type { AgentClient } from '../upstream/agent.upstream';
import { requiredField } from '../upstream/upstream-call';
import { configuredUpstream } from '../upstream/upstream-client';
import {
  addDocumentBody,
  agentIdParams,
  agentListResponse,
  agentResponse,
  createAgentBody,
  documentListResponse,
  documentParams,
  documentResponse,
  invocationResponse,
  invokeAgentBody,
  parsedJson,
  toAgentResponse,
  toDocumentResponse,
  updateAgentBody,
} from './agents.schemas';
import { problemResponses } from '../http/problem-responses';

const TAGS = ['agents'];

/**
 * `/v1/agents`: the organization's agents, their invocations and knowledge-base documents,
 * forwarded to the agent service (permissions, per-kind config validation: 422 naming the path;
 * another org's agent is 404). Credentials go in, never out.
 */
export function registerAgentRoutes(app: HttpApp, deps: { agents: AgentClient | undefined; authentication: Authentication }): void {
  const { authentication } = deps;
  const authenticated = (summary: string) => ({ ...authenticatedRouteSchema, tags: TAGS, summary });
  const agents = () => configuredUpstream('agent', deps.agents, 'AGENT_GRPC_ADDRESS');

  app.get('/v1/agents', { ...authentication.hooks, schema: { ...authenticated("The organization's agents, newest first"), querystring: pageQuery, response: { 200: agentListResponse } } }, async (request) => {
    const answer = await agents().listAgents({ page: pageRequestOf(request.query) }, authentication.callOptionsOf(request));
    return { items: answer.items.map(toAgentResponse), nextCursor: nextCursorOf(answer.page) };
  });

  app.post(
    '/v1/agents',
    { ...authentication.hooks, schema: { ...authenticated("Create an agent (owner, admin); past the plan's agent limit, 402"), body: createAgentBody, response: { 201: agentResponse, ...problemResponses(402, 409, 422) } } },
    async (request, reply) => {
      const { name, kind, config, status, credentials } = request.body;
      const answer = await agents().createAgent({ name, kind, configJson: JSON.stringify(config ?? {}), status: status ?? '', credentials: credentials ?? {} }, authentication.callOptionsOf(request));
      return reply.status(201).send(toAgentResponse(requiredField(answer.agent, 'agent')));
    },
  );

  app.get('/v1/agents/:id', { ...authentication.hooks, schema: { ...authenticated('One agent (never its credentials)'), params: agentIdParams, response: { 200: agentResponse } } }, async (request) => {
    const answer = await agents().getAgent({ id: request.params.id }, authentication.callOptionsOf(request));
    return toAgentResponse(requiredField(answer.agent, 'agent'));
  });

  app.patch(
    '/v1/agents/:id',
    { ...authentication.hooks, schema: { ...authenticated('Change an agent (owner, admin)'), params: agentIdParams, body: updateAgentBody, response: { 200: agentResponse, ...problemResponses(409, 422) } } },
    async (request) => {
      const { name, config, status, credentials } = request.body;
      const answer = await agents().updateAgent(
        {
          id: request.params.id,
          name,
          configJson: config === undefined ? undefined : JSON.stringify(config),
          status,
          credentials: credentials ?? {},
          replaceCredentials: credentials !== undefined,
        },
        authentication.callOptionsOf(request),
      );
      return toAgentResponse(requiredField(answer.agent, 'agent'));
    },
  );

  app.delete('/v1/agents/:id', { ...authentication.hooks, schema: { ...authenticated('Delete an agent (owner, admin)'), params: agentIdParams, response: { 204: noContent('Deleted') } } }, async (request, reply) => {
    await agents().deleteAgent({ id: request.params.id }, authentication.callOptionsOf(request));
    return reply.status(204).send(null);
  });

  app.post(
    '/v1/agents/:id/invoke',
    { ...authentication.hooks, schema: { ...authenticated('Run the agent once (owner, admin, member); recorded'), params: agentIdParams, body: invokeAgentBody, response: { 200: invocationResponse, ...problemResponses(409, 422) } } },
    async (request) => {
      const answer = await agents().invokeAgent({ agentId: request.params.id, inputJson: JSON.stringify(request.body.input ?? {}), executionKey: '' }, authentication.callOptionsOf(request));
      return { invocationId: answer.invocationId, output: parsedJson(answer.outputJson), error: answer.error === '' ? null : answer.error, durationMs: Number(answer.durationMs), replayed: answer.replayed };
    },
  );

  app.get(
    '/v1/agents/:id/documents',
    { ...authentication.hooks, schema: { ...authenticated("A knowledge-qa agent's documents"), params: agentIdParams, querystring: pageQuery, response: { 200: documentListResponse, ...problemResponses(409) } } },
    async (request) => {
      const answer = await agents().listDocuments({ agentId: request.params.id, page: pageRequestOf(request.query) }, authentication.callOptionsOf(request));
      return { items: answer.items.map(toDocumentResponse), nextCursor: nextCursorOf(answer.page) };
    },
  );

  app.post(
    '/v1/agents/:id/documents',
    { ...authentication.hooks, schema: { ...authenticated('Add a knowledge-base document (owner, admin)'), params: agentIdParams, body: addDocumentBody, response: { 201: documentResponse, ...problemResponses(402, 409) } } },
    async (request, reply) => {
      const answer = await agents().addDocument({ agentId: request.params.id, ...request.body }, authentication.callOptionsOf(request));
      return reply.status(201).send(toDocumentResponse(requiredField(answer.document, 'document')));
    },
  );

  app.delete(
    '/v1/agents/:id/documents/:docId',
    { ...authentication.hooks, schema: { ...authenticated('Remove a knowledge-base document (owner, admin)'), params: documentParams, response: { 204: noContent('Deleted') } } },
    async (request, reply) => {
      await agents().deleteDocument({ agentId: request.params.id, documentId: request.params.docId }, authentication.callOptionsOf(request));
      return reply.status(204).send(null);
    },
  );
}
