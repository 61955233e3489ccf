import type { agentV1 } from '@bulkhead/contracts';
import { z } from 'zod';
import { displayName, listResponse, STRICT_BODY_NOTE, uuidParam } from '../http/common.schemas';

/** The agent service's kinds (`AGENT_KINDS` there). */
const AGENT_KINDS = ['http', 'transform', 'knowledge-qa'] as const;

export const agentIdParams = z.object({ id: uuidParam('The agent id.') });
export const documentParams = agentIdParams.extend({ docId: uuidParam('The document id.') });

const credentials = z.record(z.string(), z.string()).describe('Header name → value, sent by http agents. Write-only: stored encrypted, never returned.');
const config = z.unknown().describe('Per kind (DESIGN "Bodies"): transform `{template}`; http `{url, method, headers?, body?, timeoutMs?}`; knowledge-qa `{maxPassages?}`. Invalid: 422 naming `config.<path>`.');

export const createAgentBody = z
  .strictObject({
    name: displayName,
    kind: z.enum(AGENT_KINDS).describe("The agent's kind; it decides the shape of `config`."),
    config,
    status: z.enum(['active', 'disabled']).optional(),
    credentials: credentials.optional(),
  })
  .describe(`A new agent. ${STRICT_BODY_NOTE}`);

export const updateAgentBody = z
  .strictObject({ name: displayName.optional(), config: config.optional(), status: z.enum(['active', 'disabled']).optional(), credentials: credentials.optional().describe('Replaces the credentials ({} removes them).') })
  .describe(`Only the fields that are set change. ${STRICT_BODY_NOTE}`);

export const invokeAgentBody = z.strictObject({ input: z.unknown().optional().describe('The agent input (JSON); default {}.') }).describe(STRICT_BODY_NOTE);

export const addDocumentBody = z.strictObject({ title: z.string().trim().min(1).max(200), content: z.string().min(1) }).describe(`A knowledge-base document. ${STRICT_BODY_NOTE}`);

export const agentResponse = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  config: z.unknown(),
  status: z.string(),
  hasCredentials: z.boolean(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export const agentListResponse = listResponse(agentResponse);

export const invocationResponse = z.object({
  invocationId: z.string(),
  output: z.unknown().describe('The output when the agent succeeded, else null.'),
  error: z.string().nullable().describe('Why the agent failed, else null.'),
  durationMs: z.number(),
  replayed: z.boolean(),
});

export const documentResponse = z.object({ id: z.string(), agentId: z.string(), title: z.string(), passages: z.number(), createdAt: z.string().nullable() });
export const documentListResponse = listResponse(documentResponse);

/** JSON text of the service → the value (empty = null). */
export const parsedJson = (text: string): unknown => (text === '' ? null : JSON.parse(text));

export const toAgentResponse = (agent: agentV1.Agent): z.infer<typeof agentResponse> => ({
  id: agent.id,
  name: agent.name,
  kind: agent.kind,
  config: parsedJson(agent.configJson),
  status: agent.status,
  hasCredentials: agent.hasCredentials,
  createdAt: agent.createdAt ?? null,
  updatedAt: agent.updatedAt ?? null,
});

export const toDocumentResponse = (document: agentV1.Document): z.infer<typeof documentResponse> => ({
  id: document.id,
  agentId: document.agentId,
  title: document.title,
  passages: document.passages,
  createdAt: document.createdAt ?? null,
});
