import type { TenantDatabase } from '@bulkhead/database';
import { renderTemplate, type JsonValue } from '@bulkhead/templates';
import type { AgentRecord } from '../agents/agents.repository';
import { documentsRepository } from '../documents/documents.repository';
import type { HttpAgentConfig, KnowledgeQaConfig, TransformAgentConfig } from './agent-kinds';
import { callHttpAgent } from './http-agent';
import type { EgressGuard } from './egress-guard';

/** How one run of an agent ended. */
export type AgentRunOutcome = { ok: true; output: JsonValue } | { ok: false; error: string };

export interface AgentRunner {
  run(agent: AgentRecord, input: JsonValue, context: { tenantId: string; credentials: Readonly<Record<string, string>> }): Promise<AgentRunOutcome>;
}

export interface AgentRunnerOptions {
  db: TenantDatabase;
  guard: EgressGuard;
  maxResponseBytes: number;
}

const questionOf = (input: JsonValue): string | undefined => {
  const question = input !== null && typeof input === 'object' && !Array.isArray(input) ? input['question'] : undefined;
  return typeof question === 'string' && question.trim() !== '' ? question : undefined;
};

/**
 * Runs agents by kind. transform renders its template over the input; http calls its URL
 * through the egress guard; knowledge-qa answers `input.question` with the best passages of the
 * agent's documents (full-text search on the tenant's shard). What fails on the agent's side
 * (bad input, the remote end) is an outcome, recorded; our own failures (a shard down) are thrown.
 */
export function createAgentRunner(options: AgentRunnerOptions): AgentRunner {
  return {
    async run(agent, input, context): Promise<AgentRunOutcome> {
      switch (agent.kind) {
        case 'transform':
          return { ok: true, output: renderTemplate((agent.config as TransformAgentConfig).template, { input }) };
        case 'http':
          // The remote end's failures (refused egress, timeouts, non-2xx) are the agent's; ours are thrown.
          try {
            const { status, body } = await callHttpAgent(agent.config as HttpAgentConfig, input, { guard: options.guard, maxResponseBytes: options.maxResponseBytes, credentials: context.credentials });
            return { ok: true, output: { status, body } };
          } catch (err) {
            return { ok: false, error: err instanceof Error ? err.message : String(err) };
          }
        case 'knowledge-qa': {
          const question = questionOf(input);
          if (question === undefined) return { ok: false, error: 'input.question must be a non-empty string' };
          const passages = await options.db.withTenant({ tenantId: context.tenantId }, (tx) => documentsRepository.search(tx, agent.id, question, (agent.config as KnowledgeQaConfig).maxPassages));
          const output: JsonValue = { question, answer: passages[0]?.text ?? null, passages: passages.map((p) => ({ documentId: p.documentId, text: p.text, score: p.score })) };
          return { ok: true, output };
        }
      }
    },
  };
}
