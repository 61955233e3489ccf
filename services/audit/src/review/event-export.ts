import type { LoggedEvent } from './review.queries';

/** The file formats an export can be written in. */
export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** How one export format writes: a header (CSV's column names) and one line per event. */
export interface ExportWriter {
  header: string;
  line(logged: LoggedEvent): string;
}

/** An event as an export holds it: the stored event, then its place in the chain. */
function exportRecord({ event, sequence, recordedAt, prevHash, hash }: LoggedEvent): Record<string, unknown> {
  return { ...event, sequence, recordedAt: recordedAt.toISOString(), prevHash, hash };
}

const CSV_COLUMNS: readonly [string, (logged: LoggedEvent) => string | number | undefined][] = [
  ['id', ({ event }) => event.id],
  ['tenantId', ({ event }) => event.tenantId],
  ['sequence', ({ sequence }) => sequence],
  ['occurredAt', ({ event }) => event.occurredAt],
  ['recordedAt', ({ recordedAt }) => recordedAt.toISOString()],
  ['actorType', ({ event }) => event.actor.type],
  ['actorId', ({ event }) => event.actor.id],
  ['action', ({ event }) => event.action],
  ['resourceType', ({ event }) => event.resource.type],
  ['resourceId', ({ event }) => event.resource.id],
  ['outcome', ({ event }) => event.outcome],
  ['requestId', ({ event }) => event.requestId],
  ['traceId', ({ event }) => event.traceId],
  ['ip', ({ event }) => event.ip],
  ['userAgent', ({ event }) => event.userAgent],
  ['changes', ({ event }) => (event.changes === undefined ? undefined : JSON.stringify(event.changes))],
  ['metadata', ({ event }) => (event.metadata === undefined ? undefined : JSON.stringify(event.metadata))],
  ['prevHash', ({ prevHash }) => prevHash],
  ['hash', ({ hash }) => hash],
];

/** RFC 4180: a field holding a comma, quote or line break is quoted, its quotes doubled. Values are never altered otherwise: the export is evidence. */
function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const csvLine = (fields: readonly (string | number | undefined)[]): string => `${fields.map(csvField).join(',')}\r\n`;

const WRITERS: Record<ExportFormat, ExportWriter> = {
  ndjson: { header: '', line: (logged) => `${JSON.stringify(exportRecord(logged))}\n` },
  csv: {
    header: csvLine(CSV_COLUMNS.map(([name]) => name)),
    line: (logged) => csvLine(CSV_COLUMNS.map(([, valueOf]) => valueOf(logged))),
  },
};

/** The writer of `format`. */
export function exportWriter(format: ExportFormat): ExportWriter {
  return WRITERS[format];
}
