import { auditedBy, recordAuditEvent } from '@bulkhead/audit';
import { uuidv7, type TenantDatabase, type TenantTx } from '@bulkhead/database';
import { AppError, notFound } from '@bulkhead/errors';
import { pageOf, type PageWindow } from '@bulkhead/grpc-kit';
import { requirePermission, requireWithinLimit } from '@bulkhead/permissions';
import type { OrgPlanSource } from '@bulkhead/tenant-cache';
import type { JsonValue } from '@bulkhead/templates';
import type { Caller } from '../caller';
import type { CredentialEnvelope } from '../credentials/envelope';
import { documentsRepository, storedBytesOf, type DocumentRecord } from '../documents/documents.repository';
import { invocationsRepository, type InvocationRecord } from '../invocations/invocations.repository';
import type { AgentConfig, AgentKind } from '../kinds/agent-kinds';
import type { AgentRunner } from '../kinds/agent-runner';
import { AGENT_NAME_INDEX, agentsRepository, type AgentRecord, type AgentStatus } from './agents.repository';

export interface AgentsServiceOptions {
  db: TenantDatabase;
  plans: OrgPlanSource;
  envelope: CredentialEnvelope;
  runner: AgentRunner;
}

export const agentNotFound = () => notFound('Agent');

/** One run asked of an agent: its input, and the idempotency key that replays a recorded run. */
export interface InvocationItem {
  input: JsonValue;
  executionKey: string | undefined;
}

/** An invocation as answered: recorded by this call, or replayed from an earlier one. */
export interface InvokedOnce {
  invocation: InvocationRecord;
  replayed: boolean;
}

function nameTaken(): AppError {
  return new AppError({
    kind: 'ALREADY_EXISTS',
    code: 'AGENT_NAME_TAKEN',
    message: 'An agent with this name already exists in the organization.',
    fieldViolations: [{ field: 'name', description: 'is taken by another agent of the organization' }],
  });
}

async function nameCollisionAware<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    const pg = err as { code?: unknown; constraint?: unknown };
    if (pg.code === '23505' && pg.constraint === AGENT_NAME_INDEX) throw nameTaken();
    throw err;
  }
}

/** What an audit event records of an agent: never its credentials, only whether it has some. */
const snapshotOf = (agent: AgentRecord) => ({ name: agent.name, kind: agent.kind, config: agent.config, status: agent.status, hasCredentials: agent.credentialsSealed !== null });

async function requireAgent(tx: TenantTx, id: string, forUpdate = false): Promise<AgentRecord> {
  const agent = await agentsRepository.find(tx, id, forUpdate);
  if (agent === undefined) throw agentNotFound();
  return agent;
}

export interface NewAgent {
  name: string;
  kind: AgentKind;
  config: AgentConfig;
  status: AgentStatus;
  credentials: Record<string, string> | undefined;
}

/**
 * Agents of the caller's organization. Every change and its audit event is one transaction on
 * the tenant's shard; credentials are sealed per tenant on the way in and opened only to invoke.
 */
export function createAgentsService(options: AgentsServiceOptions) {
  const { db, envelope } = options;
  const ctxOf = (caller: Caller) => ({ tenantId: caller.principal.tenantId });
  const sealed = (tx: TenantTx, agentId: string, credentials: Record<string, string> | undefined) =>
    credentials === undefined || Object.keys(credentials).length === 0 ? Promise.resolve(null) : envelope.seal(tx, agentId, credentials);

  /**
   * Runs the agent once per item, as {@link invoke} each, in two transactions whatever the
   * number of items: the agent and the items' known execution keys are read in one, the
   * items not seen before run side by side outside any transaction, and their invocations
   * and audit events are recorded in the other. A refusal (no permission, agent missing,
   * agent disabled while an item has to run) refuses every item. Results in item order.
   */
  const invokeBatch = async (caller: Caller, id: string, items: readonly InvocationItem[]): Promise<InvokedOnce[]> => {
    requirePermission(caller.principal, 'agents.invoke');
    const keys = items.flatMap((item) => (item.executionKey === undefined ? [] : [item.executionKey]));
    const prepared = await db.withTenant(ctxOf(caller), async (tx) => {
      // Both reads go out in the transaction's first round trip.
      const [agent, recorded] = await Promise.all([requireAgent(tx, id), invocationsRepository.findByKeys(tx, id, keys)]);
      if (items.every((item) => item.executionKey !== undefined && recorded.has(item.executionKey))) return { agent, credentials: {}, recorded };
      if (agent.status !== 'active') {
        throw new AppError({ kind: 'FAILED_PRECONDITION', code: 'AGENT_DISABLED', message: 'The agent is disabled.' });
      }
      const credentials = agent.credentialsSealed === null ? {} : await envelope.open(tx, id, agent.credentialsSealed);
      return { agent, credentials, recorded };
    });
    const { agent, credentials, recorded } = prepared;
    const replayOf = (item: InvocationItem) => (item.executionKey === undefined ? undefined : recorded.get(item.executionKey));
    const ran = await Promise.all(
      items.map(async (item) => {
        if (replayOf(item) !== undefined) return undefined;
        const started = performance.now();
        const outcome = await options.runner.run(agent, item.input, { tenantId: caller.principal.tenantId, credentials });
        return { outcome, durationMs: Math.round(performance.now() - started) };
      }),
    );
    if (ran.every((run) => run === undefined)) return items.map((item) => ({ invocation: replayOf(item) as InvocationRecord, replayed: true }));
    return db.withTenant(ctxOf(caller), async (tx) => {
      // Every insert is written without waiting for the one before.
      return Promise.all(
        items.map(async (item, index): Promise<InvokedOnce> => {
          const run = ran[index];
          if (run === undefined) return { invocation: replayOf(item) as InvocationRecord, replayed: true };
          const { outcome, durationMs } = run;
          const { invocation, inserted } = await invocationsRepository.record(tx, {
            agentId: id,
            executionKey: item.executionKey,
            input: item.input,
            output: outcome.ok ? outcome.output : null,
            error: outcome.ok ? null : outcome.error,
            durationMs,
            invokedBy: caller.principal.subject,
          });
          if (inserted) {
            await recordAuditEvent(tx, {
              ...auditedBy(caller),
              action: 'agent.invoked',
              resource: { type: 'agent', id },
              outcome: outcome.ok ? 'success' : 'failed',
              metadata: { invocationId: invocation.id, durationMs, ...(item.executionKey === undefined ? {} : { executionKey: item.executionKey }), ...(outcome.ok ? {} : { error: outcome.error }) },
            });
          }
          return { invocation, replayed: !inserted };
        }),
      );
    });
  };

  return {
    async create(caller: Caller, input: NewAgent): Promise<AgentRecord> {
      requirePermission(caller.principal, 'agents.manage');
      const plan = await options.plans.planOf(caller);
      return db.withTenant(ctxOf(caller), async (tx) => {
        requireWithinLimit(plan, 'agents', await agentsRepository.lockedCount(tx));
        const id = uuidv7();
        const agent = await nameCollisionAware(
          agentsRepository.insert(tx, { id, name: input.name, kind: input.kind, config: input.config, status: input.status, credentialsSealed: await sealed(tx, id, input.credentials), createdBy: caller.principal.subject }),
        );
        await recordAuditEvent(tx, { ...auditedBy(caller), action: 'agent.created', resource: { type: 'agent', id }, outcome: 'success', changes: { after: snapshotOf(agent) } });
        return agent;
      });
    },

    async get(caller: Caller, id: string): Promise<AgentRecord> {
      requirePermission(caller.principal, 'agents.read');
      return db.withTenant(ctxOf(caller), (tx) => requireAgent(tx, id));
    },

    async list(caller: Caller, window: PageWindow): Promise<{ items: AgentRecord[]; nextCursor: string }> {
      requirePermission(caller.principal, 'agents.read');
      const rows = await db.withTenant(ctxOf(caller), (tx) => agentsRepository.list(tx, { limit: window.limit + 1, after: window.after }));
      return pageOf(rows, window, (agent) => agent.sortKey);
    },

    /** `config` is validated against the agent's kind by the caller (the handler knows it only after loading). */
    async update(
      caller: Caller,
      id: string,
      patch: { name?: string | undefined; config?: (kind: AgentKind) => AgentConfig; status?: AgentStatus | undefined; credentials?: Record<string, string> | undefined },
    ): Promise<AgentRecord> {
      requirePermission(caller.principal, 'agents.manage');
      return db.withTenant(ctxOf(caller), async (tx) => {
        const before = await requireAgent(tx, id, true);
        const updated = await nameCollisionAware(
          agentsRepository.update(tx, id, {
            name: patch.name ?? before.name,
            config: patch.config === undefined ? before.config : patch.config(before.kind),
            status: patch.status ?? before.status,
            credentialsSealed: patch.credentials === undefined ? before.credentialsSealed : await sealed(tx, id, patch.credentials),
          }),
        );
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'agent.updated',
          resource: { type: 'agent', id },
          outcome: 'success',
          changes: { before: snapshotOf(before), after: snapshotOf(updated) },
          ...(patch.credentials === undefined ? {} : { metadata: { credentialsReplaced: true } }),
        });
        return updated;
      });
    },

    async delete(caller: Caller, id: string): Promise<void> {
      requirePermission(caller.principal, 'agents.manage');
      await db.withTenant(ctxOf(caller), async (tx) => {
        const agent = await requireAgent(tx, id, true);
        await agentsRepository.delete(tx, id);
        await recordAuditEvent(tx, { ...auditedBy(caller), action: 'agent.deleted', resource: { type: 'agent', id }, outcome: 'success', changes: { before: snapshotOf(agent) } });
      });
    },

    /**
     * Runs the agent once and records it. A known execution key returns its recorded invocation
     * (replayed) without running; two concurrent calls with one key run at most twice but record
     * once (the unique key decides), and both answer with the recorded one.
     */
    async invoke(caller: Caller, id: string, input: JsonValue, executionKey: string | undefined): Promise<InvokedOnce> {
      const [result] = await invokeBatch(caller, id, [{ input, executionKey }]);
      if (result === undefined) throw new Error('a batch of one invocation answered none');
      return result;
    },

    invokeBatch,

    /** The plan's `storageBytes` is checked under a per-tenant lock: 402 naming it when the text would go past it. */
    async addDocument(caller: Caller, agentId: string, title: string, content: string): Promise<DocumentRecord> {
      requirePermission(caller.principal, 'agents.documents.manage');
      const plan = await options.plans.planOf(caller);
      return db.withTenant(ctxOf(caller), async (tx) => {
        const agent = await requireAgent(tx, agentId);
        if (agent.kind !== 'knowledge-qa') {
          throw new AppError({ kind: 'FAILED_PRECONDITION', code: 'NOT_A_KNOWLEDGE_AGENT', message: 'Only knowledge-qa agents have documents.' });
        }
        requireWithinLimit(plan, 'storageBytes', await documentsRepository.lockedStoredBytes(tx), storedBytesOf(content));
        const document = await documentsRepository.insert(tx, agentId, title, content);
        await recordAuditEvent(tx, { ...auditedBy(caller), action: 'agent_document.added', resource: { type: 'agent_document', id: document.id }, outcome: 'success', metadata: { agentId, title, passages: document.passages } });
        return document;
      });
    },

    async listDocuments(caller: Caller, agentId: string, window: PageWindow): Promise<{ items: DocumentRecord[]; nextCursor: string }> {
      requirePermission(caller.principal, 'agents.read');
      const rows = await db.withTenant(ctxOf(caller), async (tx) => {
        await requireAgent(tx, agentId);
        return documentsRepository.list(tx, agentId, { limit: window.limit + 1, after: window.after });
      });
      return pageOf(rows, window, (document) => document.sortKey);
    },

    async deleteDocument(caller: Caller, agentId: string, documentId: string): Promise<void> {
      requirePermission(caller.principal, 'agents.documents.manage');
      await db.withTenant(ctxOf(caller), async (tx) => {
        await requireAgent(tx, agentId);
        if (!(await documentsRepository.delete(tx, agentId, documentId))) throw notFound('Document');
        await recordAuditEvent(tx, { ...auditedBy(caller), action: 'agent_document.removed', resource: { type: 'agent_document', id: documentId }, outcome: 'success', metadata: { agentId } });
      });
    },

    /** The organization's agents and stored document bytes, for its usage against the plan. */
    async usage(caller: Caller): Promise<{ agents: number; storageBytes: number }> {
      requirePermission(caller.principal, 'org.usage.read');
      return db.withTenant(ctxOf(caller), async (tx) => ({ agents: await agentsRepository.count(tx), storageBytes: await documentsRepository.storedBytes(tx) }));
    },
  };
}

export type AgentsService = ReturnType<typeof createAgentsService>;
