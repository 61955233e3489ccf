import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createGatewayFixture, type GatewayFixture } from '../testing/gateway.fixture';
import { TENANT_ID, TEST_USER } from '../testing/test-tokens';

// The OpenAPI document held to the validators: for every operation of /openapi.json, requests
// are generated from the document alone (a valid one, then one field at a time made invalid or
// pushed to a bound), judged by the document's JSON Schema, and sent to the gateway. Every
// verdict must agree: what the document accepts passes validation, what it refuses is a 400
// naming that field.

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
};
type Parameter = { in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema: JsonSchema };
type Operation = { parameters?: Parameter[]; requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> } };
type Document = { paths: Record<string, Record<string, Operation>> };
type Location = 'params' | 'querystring' | 'headers' | 'body';
/** One request: path parameters, query, headers, body. */
type Input = { params: Record<string, string>; querystring: Record<string, string>; headers: Record<string, string>; body?: Record<string, unknown> };

/** Strings that match the document's patterns (slugs, tokens, scopes, keys): the first one a pattern admits is used. */
const PATTERNED_STRINGS = ['acme-team', `bhr_${'A'.repeat(43)}`, `bhi_${'A'.repeat(64)}`, 'projects:read', 'key-1', 'step-1', 'Ada'];

const judge = (schema: JsonSchema, value: unknown): boolean => z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(value).success;

const typeOf = (schema: JsonSchema): string | undefined => (Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type);

/** A value the schema accepts, built from its keywords alone. */
function sampleOf(schema: JsonSchema): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined) return schema.enum[0];
  const branch = (schema.anyOf ?? schema.oneOf)?.find((s) => typeOf(s) !== 'null');
  if (branch !== undefined) return sampleOf(branch);
  switch (typeOf(schema)) {
    case 'string': {
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'email') return 'ada@example.com';
      if (schema.format === 'date-time') return new Date().toISOString();
      const plain = 'a'.repeat(Math.max(schema.minLength ?? 1, 1));
      return [plain, ...PATTERNED_STRINGS].find((candidate) => judge(schema, candidate)) ?? plain;
    }
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.maximum !== undefined ? Math.min(1, schema.maximum) : 1);
    case 'boolean':
      return true;
    case 'array':
      return (schema.minItems ?? 0) > 0 && schema.items !== undefined ? [sampleOf(schema.items)] : [];
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((name) => [name, sampleOf(schema.properties?.[name] ?? {})]));
    default:
      return {};
  }
}

/** Values around the schema's rules: each breaks one rule or sits on one bound. */
function variantsOf(schema: JsonSchema): unknown[] {
  const variants: unknown[] = [];
  if (schema.enum !== undefined) variants.push('not-one-of-them');
  switch (typeOf(schema)) {
    case 'string':
      variants.push(12345);
      if (schema.format !== undefined || schema.pattern !== undefined) variants.push('not well formed!');
      if (schema.minLength !== undefined && schema.minLength > 0) variants.push('a'.repeat(schema.minLength - 1), 'a'.repeat(schema.minLength));
      if (schema.maxLength !== undefined) variants.push('a'.repeat(schema.maxLength), 'a'.repeat(schema.maxLength + 1));
      break;
    case 'integer':
    case 'number':
      variants.push('twelve');
      if (typeOf(schema) === 'integer') variants.push(1.5);
      if (schema.minimum !== undefined) variants.push(schema.minimum, schema.minimum - 1);
      if (schema.maximum !== undefined) variants.push(schema.maximum, schema.maximum + 1);
      if (schema.exclusiveMinimum !== undefined) variants.push(schema.exclusiveMinimum);
      if (schema.exclusiveMaximum !== undefined) variants.push(schema.exclusiveMaximum);
      break;
    case 'boolean':
      variants.push('yes');
      break;
    case 'array':
      variants.push('not a list');
      break;
    case 'object':
      variants.push('not an object', []);
      break;
    default:
      break;
  }
  return variants;
}

/** A query or path value as the URL carries it, and as the document reads it back (numbers and booleans parse). */
const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
function readBack(schema: JsonSchema, text: string): unknown {
  const type = typeOf(schema);
  if ((type === 'integer' || type === 'number') && text.trim() !== '' && !Number.isNaN(Number(text))) return Number(text);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

let fixture: GatewayFixture;
let token: string;
/** The platform routes refuse any other caller before validation. */
let complianceToken: string;
let document: Document;

beforeAll(async () => {
  fixture = await createGatewayFixture();
  token = await fixture.tokens.sign();
  complianceToken = await fixture.tokens.sign({ ...TEST_USER, platformRoles: ['compliance'] });
  document = (await fixture.app.inject({ method: 'GET', url: '/openapi.json' })).json();
}, 30_000);

afterAll(() => fixture.close());

/** True when the gateway refused the request's `field` in validation (400 naming it). */
async function refusesField(method: string, route: string, input: Input, field: string): Promise<{ refused: boolean; status: number }> {
  const url = route.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(input.params[name] ?? ''));
  const query = new URLSearchParams(input.querystring).toString();
  const response = await fixture.app.inject({
    method: method.toUpperCase() as 'GET',
    url: query === '' ? url : `${url}?${query}`,
    headers: { authorization: `Bearer ${route.startsWith('/v1/platform/') ? complianceToken : token}`, ...input.headers, ...(input.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(input.body === undefined ? {} : { payload: JSON.stringify(input.body) }),
  });
  const problem = response.statusCode === 400 ? (response.json() as { errors?: { field: string }[] }) : {};
  const refused = (problem.errors ?? []).some((error) => error.field === field || error.field.startsWith(`${field}.`));
  return { refused, status: response.statusCode };
}

const operations = (): [string, string][] => Object.entries(document.paths).flatMap(([route, methods]) => Object.keys(methods).map((method): [string, string] => [method, route]));

describe('the OpenAPI document and the validators', () => {
  it('has operations to check', () => {
    expect(operations().length).toBeGreaterThan(50);
  });

  it('agree on every field of every operation: what the document accepts passes, what it refuses is a 400 naming the field', async () => {
    const disagreements: string[] = [];
    let checked = 0;
    for (const [method, route] of operations()) {
      const operation = document.paths[route]?.[method] ?? {};
      const parameters = operation.parameters ?? [];
      const bodySchema = operation.requestBody?.content['application/json']?.schema;
      const valid = (): Input => ({
        params: Object.fromEntries(parameters.filter((p) => p.in === 'path').map((p) => [p.name, p.name === 'orgId' ? TENANT_ID : asText(sampleOf(p.schema))])),
        querystring: Object.fromEntries(parameters.filter((p) => p.in === 'query' && p.required === true).map((p) => [p.name, asText(sampleOf(p.schema))])),
        headers: {},
        ...(bodySchema === undefined ? {} : { body: sampleOf(bodySchema) as Record<string, unknown> }),
      });
      if (bodySchema !== undefined && !judge(bodySchema, valid().body)) disagreements.push(`${method} ${route}: no valid body could be built from the document`);

      const base = await refusesField(method, route, valid(), '');
      if (base.status === 400) disagreements.push(`${method} ${route}: a request the document accepts is a 400`);

      const cases: { location: Location; name: string; schema: JsonSchema; values: unknown[]; set: (input: Input, value: unknown) => void; omit?: (input: Input) => void }[] = [
        ...parameters
          .filter((p) => p.in !== 'header')
          .map((p) => {
            const location: Location = p.in === 'path' ? 'params' : 'querystring';
            return {
              location,
              name: p.name,
              schema: p.schema,
              values: [sampleOf(p.schema), ...variantsOf(p.schema)].filter((v) => asText(v) !== ''),
              set: (input: Input, value: unknown) => void (input[location][p.name] = asText(value)),
            };
          }),
        ...Object.entries(bodySchema?.properties ?? {}).map(([name, schema]) => ({
          location: 'body' as const,
          name,
          schema,
          values: [sampleOf(schema), ...variantsOf(schema)],
          set: (input: Input, value: unknown) => void (input.body = { ...input.body, [name]: value }),
          omit: (input: Input) => {
            const { [name]: _dropped, ...rest } = input.body ?? {};
            input.body = rest;
          },
        })),
      ];
      for (const { location, name, schema, values, set, omit } of cases) {
        const field = `${location}.${name}`;
        const attempts: { input: Input; accepted: boolean; shown: string }[] = values.map((value) => {
          const input = valid();
          set(input, value);
          const judged = location === 'body' ? value : readBack(schema, asText(value));
          return { input, accepted: judge(schema, judged), shown: JSON.stringify(value).slice(0, 40) };
        });
        if (omit !== undefined) {
          const input = valid();
          omit(input);
          attempts.push({ input, accepted: bodySchema === undefined || judge(bodySchema, input.body), shown: '(absent)' });
        }
        for (const { input, accepted, shown } of attempts) {
          if (location === 'params' && name === 'orgId' && accepted) continue;
          const { refused, status } = await refusesField(method, route, input, field);
          checked++;
          if (accepted === refused) {
            disagreements.push(`${method} ${route} ${field}=${shown}: the document ${accepted ? 'accepts' : 'refuses'} it, the gateway answered ${status}`);
          }
        }
      }
      if (bodySchema?.additionalProperties === false) {
        const input = valid();
        input.body = { ...input.body, notAField: 1 };
        const { refused, status } = await refusesField(method, route, input, 'body.notAField');
        checked++;
        if (!refused) disagreements.push(`${method} ${route}: the document refuses unknown fields, the gateway answered ${status}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  }, 120_000);
});
