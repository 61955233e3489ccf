import { AUDIT_EVENT_VERSION, auditEventSchema, type AuditEvent } from '@bulkhead/audit';

/** A message's event, or why it cannot be logged. */
export type ParsedAuditMessage = { ok: true; event: AuditEvent } | { ok: false; reason: string };

/**
 * Reads one message value of the audit topic: JSON `{v: 1, event}` whose event satisfies
 * the audit-event schema; any other version goes to the dead-letter topic. Never throws.
 */
export function parseAuditMessage(value: Buffer | null): ParsedAuditMessage {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty message' };
  const text = value.toString('utf8');
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'unparseable: not JSON' };
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    return { ok: false, reason: 'unparseable: not an envelope object' };
  }
  const { v, event } = envelope as { v?: unknown; event?: unknown };
  if (v !== AUDIT_EVENT_VERSION) return { ok: false, reason: `unknown version: ${JSON.stringify(v) ?? 'none'}` };
  const parsed = auditEventSchema.safeParse(event);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);
    return { ok: false, reason: `invalid event: ${issues.join('; ')}` };
  }
  const unstorable = MAY_BE_UNSTORABLE.test(text) ? unstorableText(parsed.data) : undefined;
  if (unstorable !== undefined) return { ok: false, reason: `invalid event: ${unstorable || '(event)'}: text PostgreSQL cannot store (NUL or a lone surrogate)` };
  return { ok: true, event: parsed.data };
}

/**
 * Whether the JSON text may decode to a NUL or a lone surrogate: only the escapes `\u0000` and
 * `\uD800`–`\uDFFF` can (raw control characters are not JSON, and UTF-8 decoding never yields a
 * surrogate). Most events have neither, and skip the walk over their strings.
 */
const MAY_BE_UNSTORABLE = /\\u(?:0000|d[89a-f])/i;

/** A UTF-16 surrogate without its pair. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether PostgreSQL refuses `text` (a NUL, or a lone surrogate). */
function unstorable(text: string): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text);
}

/**
 * The path of the first string (value or key) in `value` that PostgreSQL text and jsonb refuse,
 * or undefined. Such an event would fail its batch's transaction on every retry and stop the
 * partition, so it is dead-lettered instead.
 */
function unstorableText(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return unstorable(value) ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, member] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (unstorable(key)) return at;
    const found = unstorableText(member, at);
    if (found !== undefined) return found;
  }
  return undefined;
}
