import { uuidv7, type TenantTx } from '@bulkhead/database';
import { createdSortKeySql, parseCreatedSortKey } from '@bulkhead/grpc-kit';

export interface DocumentRecord {
  id: string;
  agentId: string;
  title: string;
  passages: number;
  createdAt: Date;
  sortKey: string;
}

interface DocumentRow {
  id: string;
  agent_id: string;
  title: string;
  passages: number;
  created_at: Date;
  sort_at: string;
}

/** A passage found for a question. */
export interface PassageHit {
  documentId: string;
  text: string;
  score: number;
}

const COLUMNS = `id, agent_id, title, passages, created_at, ${createdSortKeySql()} AS sort_at`;
const toRecord = (row: DocumentRow): DocumentRecord => ({ id: row.id, agentId: row.agent_id, title: row.title, passages: row.passages, createdAt: row.created_at, sortKey: `${row.sort_at}|${row.id}` });

/** The most characters of one passage: documents are split on blank lines, long paragraphs further. */
export const PASSAGE_CHARS = 1200;

/** A document's passages: its paragraphs, each cut to at most {@link PASSAGE_CHARS} at a sentence or word end. */
export function splitPassages(content: string): string[] {
  const passages: string[] = [];
  for (const paragraph of content.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p !== '')) {
    let rest = paragraph;
    while (rest.length > PASSAGE_CHARS) {
      const window = rest.slice(0, PASSAGE_CHARS);
      const cut = Math.max(window.lastIndexOf('. ') + 1, window.lastIndexOf(' '));
      const at = cut > PASSAGE_CHARS / 2 ? cut : PASSAGE_CHARS;
      passages.push(rest.slice(0, at).trim());
      rest = rest.slice(at).trim();
    }
    if (rest !== '') passages.push(rest);
  }
  return passages;
}

/** The bytes `content` takes once stored: its passages, UTF-8 (what the plan's `storageBytes` counts). */
export function storedBytesOf(content: string): number {
  return splitPassages(content).reduce((sum, passage) => sum + Buffer.byteLength(passage, 'utf8'), 0);
}

export const documentsRepository = {
  /** The bytes of document text the tenant stores (what the plan's `storageBytes` counts). */
  async storedBytes(tx: TenantTx): Promise<number> {
    const { rows } = await tx.query<{ bytes: string }>('SELECT coalesce(sum(octet_length(content)), 0)::bigint AS bytes FROM agent_passages WHERE tenant_id = $1', [tx.tenantId]);
    return Number(rows[0]?.bytes ?? 0);
  },

  /**
   * {@link storedBytes} under a per-tenant lock held to the end of the transaction, so concurrent
   * additions cannot overshoot the plan together.
   */
  async lockedStoredBytes(tx: TenantTx): Promise<number> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('agent-documents:' || $1, 0))`, [tx.tenantId]);
    return documentsRepository.storedBytes(tx);
  },

  async insert(tx: TenantTx, agentId: string, title: string, content: string): Promise<DocumentRecord> {
    const passages = splitPassages(content);
    const id = uuidv7();
    const { rows } = await tx.query<DocumentRow>(
      `INSERT INTO agent_documents (tenant_id, id, agent_id, title, passages) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [tx.tenantId, id, agentId, title, passages.length],
    );
    await tx.query(
      `INSERT INTO agent_passages (tenant_id, id, agent_id, document_id, position, content)
       SELECT $1, ($2::uuid[])[n], $3, $4, n, ($5::text[])[n] FROM generate_series(1, cardinality($5::text[])) AS n`,
      [tx.tenantId, passages.map(() => uuidv7()), agentId, id, passages],
    );
    return toRecord(rows[0] as DocumentRow);
  },

  async list(tx: TenantTx, agentId: string, options: { limit: number; after?: string | undefined }): Promise<DocumentRecord[]> {
    const values: unknown[] = [tx.tenantId, agentId];
    let where = 'tenant_id = $1 AND agent_id = $2';
    if (options.after !== undefined) {
      values.push(...parseCreatedSortKey(options.after));
      where += ' AND (created_at, id) < ($3::timestamptz, $4::uuid)';
    }
    values.push(options.limit);
    const { rows } = await tx.query<DocumentRow>(`SELECT ${COLUMNS} FROM agent_documents WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`, values);
    return rows.map(toRecord);
  },

  /** True when the document existed (for that agent) and is gone with its passages. */
  async delete(tx: TenantTx, agentId: string, documentId: string): Promise<boolean> {
    const { rowCount } = await tx.query('DELETE FROM agent_documents WHERE tenant_id = $1 AND agent_id = $2 AND id = $3', [tx.tenantId, agentId, documentId]);
    return rowCount === 1;
  },

  /**
   * The agent's passages best matching `question`, best first: PostgreSQL full-text search with
   * the question's words OR-ed (a passage need not hold every word to answer), ranked by ts_rank.
   */
  async search(tx: TenantTx, agentId: string, question: string, limit: number): Promise<PassageHit[]> {
    const { rows } = await tx.query<{ document_id: string; content: string; score: number }>(
      `SELECT p.document_id, p.content, ts_rank(p.tsv, query.q)::float8 AS score
         FROM agent_passages p, (SELECT nullif(replace(plainto_tsquery('english', $3)::text, ' & ', ' | '), '')::tsquery AS q) AS query
        WHERE p.tenant_id = $1 AND p.agent_id = $2 AND p.tsv @@ query.q
        ORDER BY score DESC, p.document_id, p.position
        LIMIT $4`,
      [tx.tenantId, agentId, question, limit],
    );
    return rows.map((row) => ({ documentId: row.document_id, text: row.content, score: Math.round(row.score * 1e6) / 1e6 }));
  },
};
