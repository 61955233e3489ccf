/**
 * JSON templates (DESIGN "Bodies"): any JSON value whose strings may hold `{{path}}`
 * placeholders. A string that is exactly one placeholder takes the referenced value with its
 * type; otherwise each placeholder is replaced by the value's text (strings as they are, other
 * values as JSON). A path names nothing → null (exact) or '' (inside text). No code runs: a path
 * is dot-separated names and array indexes, looked up in the scope, nothing more.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One placeholder found in a template: where it is and what it refers to. */
export interface TemplateReference {
  /** Where in the template, e.g. `body.user.name` or `items[2]`; empty for the root. */
  readonly location: string;
  /** The referenced path, split: `['steps', 'fetch', 'output', 'id']`. */
  readonly path: readonly string[];
}

/** A problem in a template, at `location`. */
export interface TemplateProblem {
  readonly location: string;
  readonly message: string;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const EXACT = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$|^\d+$/;

function at(location: string, key: string | number): string {
  if (typeof key === 'number') return `${location}[${key}]`;
  return location === '' ? key : `${location}.${key}`;
}

function parsePath(text: string): string[] | undefined {
  const segments = text.split('.');
  return segments.every((segment) => SEGMENT.test(segment)) ? segments : undefined;
}

function walkStrings(value: JsonValue, location: string, visit: (text: string, location: string) => void): void {
  if (typeof value === 'string') visit(value, location);
  else if (Array.isArray(value)) value.forEach((item, index) => walkStrings(item, at(location, index), visit));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) walkStrings(item, at(location, key), visit);
}

/**
 * Every placeholder of `template`, and every malformed one as a problem (an unclosed `{{`, an
 * empty or ill-formed path). Callers check the references against what their scope offers.
 */
export function inspectTemplate(template: JsonValue): { references: TemplateReference[]; problems: TemplateProblem[] } {
  const references: TemplateReference[] = [];
  const problems: TemplateProblem[] = [];
  walkStrings(template, '', (text, location) => {
    for (const match of text.matchAll(PLACEHOLDER)) {
      const path = parsePath(match[1] ?? '');
      if (path === undefined) problems.push({ location, message: `placeholder {{${match[1] ?? ''}}} is not a dot-separated path` });
      else references.push({ location, path });
    }
    if (text.replace(PLACEHOLDER, '').includes('{{')) problems.push({ location, message: 'has an unclosed {{' });
  });
  return { references, problems };
}

function lookUp(scope: JsonValue, path: readonly string[]): JsonValue | undefined {
  let current: JsonValue | undefined = scope;
  for (const segment of path) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (current !== null && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

function asText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `template` with every placeholder replaced from `scope` (see the module comment). */
export function renderTemplate(template: JsonValue, scope: JsonValue): JsonValue {
  if (typeof template === 'string') {
    const exact = EXACT.exec(template);
    const exactPath = exact === null ? undefined : parsePath(exact[1] ?? '');
    if (exactPath !== undefined) return lookUp(scope, exactPath) ?? null;
    return template.replace(PLACEHOLDER, (whole, text: string) => {
      const path = parsePath(text);
      return path === undefined ? whole : asText(lookUp(scope, path));
    });
  }
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, scope));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([key, item]) => [key, renderTemplate(item, scope)]));
  }
  return template;
}
