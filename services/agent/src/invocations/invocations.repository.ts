import { uuidv7, type TenantTx } from '@bulkhead/database';
import type { JsonValue } from '@bulkhead/templates';

export interface InvocationRecord {
  id: string;
  agentId: string;
  executionKey: string | null;
  output: JsonValue | null;
  error: string | null;
  durationMs: number;
}

interface InvocationRow {
  id: string;
  agent_id: string;
  execution_key: string | null;
  output: JsonValue | null;
  error: string | null;
  duration_ms: number;
}

const COLUMNS = 'id, agent_id, execution_key, output, error, duration_ms';
const toRecord = (row: InvocationRow): InvocationRecord => ({ id: row.id, agentId: row.agent_id, executionKey: row.execution_key, output: row.output, error: row.error, durationMs: row.duration_ms });

export const invocationsRepository = {
  /** The agent's invocations recorded under `executionKeys`, by key. */
  async findByKeys(tx: TenantTx, agentId: string, executionKeys: readonly string[]): Promise<Map<string, InvocationRecord>> {
    if (executionKeys.length === 0) return new Map();
    const { rows } = await tx.query<InvocationRow>(`SELECT ${COLUMNS} FROM agent_invocations WHERE tenant_id = $1 AND agent_id = $2 AND execution_key = ANY($3::text[])`, [
      tx.tenantId,
      agentId,
      executionKeys,
    ]);
    return new Map(rows.map((row) => [row.execution_key as string, toRecord(row)]));
  },

  /** Records the invocation; with a key already recorded, returns that one (`inserted` false). */
  async record(
    tx: TenantTx,
    input: { agentId: string; executionKey: string | undefined; input: JsonValue; output: JsonValue | null; error: string | null; durationMs: number; invokedBy: string },
  ): Promise<{ invocation: InvocationRecord; inserted: boolean }> {
    const { rows } = await tx.query<InvocationRow>(
      `INSERT INTO agent_invocations (tenant_id, id, agent_id, execution_key, input, output, error, duration_ms, invoked_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (tenant_id, agent_id, execution_key) WHERE execution_key IS NOT NULL DO NOTHING
       RETURNING ${COLUMNS}`,
      [tx.tenantId, uuidv7(), input.agentId, input.executionKey ?? null, JSON.stringify(input.input), input.output === null ? null : JSON.stringify(input.output), input.error, input.durationMs, input.invokedBy],
    );
    if (rows[0] !== undefined) return { invocation: toRecord(rows[0]), inserted: true };
    const key = input.executionKey ?? '';
    const existing = (await invocationsRepository.findByKeys(tx, input.agentId, [key])).get(key);
    return { invocation: existing as InvocationRecord, inserted: false };
  },
};
