import type { agentV1, AgentServiceService } from '@bulkhead/contracts';
import { parseJsonText, parseRequest, readPage, type ServiceImplementation } from '@bulkhead/grpc-kit';
import type { JsonValue } from '@bulkhead/templates';
import { z } from 'zod';
import type { AgentRecord } from './agents/agents.repository';
import type { AgentsService, InvokedOnce } from './agents/agents.service';
import { callerOf, type AgentCallContext } from './caller';
import type { DocumentRecord } from './documents/documents.repository';
import { invalidAgent, validateAgentConfig } from './kinds/agent-kinds';

/** The largest input, config or document accepted. */
export const MAX_INPUT_BYTES = 64 * 1024;
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** The most invocations one InvokeAgentBatch call carries. */
export const MAX_BATCH_ITEMS = 100;

const uuid = z.uuid('must be a UUID');
const executionKey = z.string().max(200, 'must be at most 200 characters');
const name = z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters');
const status = z.enum(['active', 'disabled'], 'must be active or disabled');
const page = z.object({ pageSize: z.number(), cursor: z.string() }).optional();
const credentials = z
  .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be header names'), z.string().max(4096, 'must be at most 4096 characters'))
  .refine((value) => Object.keys(value).length <= 20, 'must have at most 20 entries');

const schemas = {
  create: z.object({ name, status: z.union([z.literal('').transform(() => 'active' as const), status]), credentials }),
  byId: z.object({ id: uuid }),
  list: z.object({ page }),
  update: z.object({ id: uuid, name: name.optional(), status: status.optional(), credentials, replaceCredentials: z.boolean() }),
  invoke: z.object({ agentId: uuid, executionKey }),
  invokeBatch: z.object({
    agentId: uuid,
    items: z.array(z.object({ executionKey }), 'is required').min(1, 'must have at least one item').max(MAX_BATCH_ITEMS, `must have at most ${MAX_BATCH_ITEMS} items`),
  }),
  addDocument: z.object({
    agentId: uuid,
    title: z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters'),
    content: z.string().min(1, 'is required').refine((value) => Buffer.byteLength(value) <= MAX_DOCUMENT_BYTES, `must be at most ${MAX_DOCUMENT_BYTES} bytes`),
  }),
  listDocuments: z.object({ agentId: uuid, page }),
  deleteDocument: z.object({ agentId: uuid, documentId: uuid }),
};

const toAgent = (agent: AgentRecord): agentV1.Agent => ({
  id: agent.id,
  name: agent.name,
  kind: agent.kind,
  configJson: JSON.stringify(agent.config),
  status: agent.status,
  hasCredentials: agent.credentialsSealed !== null,
  createdAt: agent.createdAt.toISOString(),
  updatedAt: agent.updatedAt.toISOString(),
});

const toDocument = (document: DocumentRecord): agentV1.Document => ({
  id: document.id,
  agentId: document.agentId,
  title: document.title,
  passages: document.passages,
  createdAt: document.createdAt.toISOString(),
});

/** The invocation input: JSON text (empty = {}) within the edge rules (ADR 0014); 422 naming `field` otherwise. */
function inputOf(text: string, field = 'input'): JsonValue {
  if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw invalidAgent([{ field, description: `must be at most ${MAX_INPUT_BYTES} bytes` }]);
  const parsed = parseJsonText(text, field);
  if (!parsed.ok) throw invalidAgent(parsed.violations);
  return parsed.value as JsonValue;
}

const toInvocationResponse = ({ invocation, replayed }: InvokedOnce): agentV1.InvokeAgentResponse => ({
  invocationId: invocation.id,
  outputJson: invocation.output === null ? '' : JSON.stringify(invocation.output),
  error: invocation.error ?? '',
  durationMs: invocation.durationMs,
  replayed,
});

export function createAgentHandlers(agents: AgentsService): ServiceImplementation<typeof AgentServiceService, AgentCallContext> {
  return {
    async createAgent(request, ctx) {
      const input = parseRequest(schemas.create, request);
      const { kind, config } = validateAgentConfig(request.kind, request.configJson);
      return { agent: toAgent(await agents.create(callerOf(ctx), { ...input, kind, config })) };
    },
    async getAgent(request, ctx) {
      const { id } = parseRequest(schemas.byId, request);
      return { agent: toAgent(await agents.get(callerOf(ctx), id)) };
    },
    async listAgents(request, ctx) {
      const input = parseRequest(schemas.list, request);
      const { items, nextCursor } = await agents.list(callerOf(ctx), readPage(input.page));
      return { items: items.map(toAgent), page: { nextCursor } };
    },
    async updateAgent(request, ctx) {
      const input = parseRequest(schemas.update, request);
      const configJson = request.configJson;
      const updated = await agents.update(callerOf(ctx), input.id, {
        name: input.name,
        status: input.status,
        credentials: input.replaceCredentials ? input.credentials : undefined,
        ...(configJson === undefined ? {} : { config: (kind) => validateAgentConfig(kind, configJson).config }),
      });
      return { agent: toAgent(updated) };
    },
    async deleteAgent(request, ctx) {
      const { id } = parseRequest(schemas.byId, request);
      await agents.delete(callerOf(ctx), id);
      return {};
    },
    async invokeAgent(request, ctx) {
      const { agentId, executionKey } = parseRequest(schemas.invoke, request);
      return toInvocationResponse(await agents.invoke(callerOf(ctx), agentId, inputOf(request.inputJson), executionKey === '' ? undefined : executionKey));
    },
    async invokeAgentBatch(request, ctx) {
      const { agentId, items } = parseRequest(schemas.invokeBatch, request);
      const invocations = items.map((item, index) => ({
        input: inputOf(request.items[index]?.inputJson ?? '', `items[${index}].input`),
        executionKey: item.executionKey === '' ? undefined : item.executionKey,
      }));
      return { results: (await agents.invokeBatch(callerOf(ctx), agentId, invocations)).map(toInvocationResponse) };
    },
    async addDocument(request, ctx) {
      const input = parseRequest(schemas.addDocument, request);
      return { document: toDocument(await agents.addDocument(callerOf(ctx), input.agentId, input.title, input.content)) };
    },
    async listDocuments(request, ctx) {
      const input = parseRequest(schemas.listDocuments, request);
      const { items, nextCursor } = await agents.listDocuments(callerOf(ctx), input.agentId, readPage(input.page));
      return { items: items.map(toDocument), page: { nextCursor } };
    },
    async deleteDocument(request, ctx) {
      const input = parseRequest(schemas.deleteDocument, request);
      await agents.deleteDocument(callerOf(ctx), input.agentId, input.documentId);
      return {};
    },
    async getAgentUsage(_request, ctx) {
      return agents.usage(callerOf(ctx));
    },
  };
}
