import type { workflowV1 } from '@bulkhead/contracts';
import { validateSteps } from './step-definitions';

const AGENT = '019a7c2e-5b1f-7d3a-9c4e-0123456789ab';
const step = (id: string, input: unknown, extra: Partial<workflowV1.Step> = {}): workflowV1.Step => ({
  id,
  agentId: AGENT,
  inputJson: typeof input === 'string' ? input : JSON.stringify(input),
  retry: undefined,
  timeoutMs: 0,
  ...extra,
});

const violationsOf = (steps: workflowV1.Step[]) => {
  try {
    validateSteps(steps);
  } catch (err) {
    const error = err as { kind: string; fieldViolations: { field: string; description: string }[] };
    expect(error.kind).toBe('UNPROCESSABLE');
    return error.fieldViolations;
  }
  throw new Error('expected the steps to be refused');
};

describe('validateSteps', () => {
  it('accepts templates over the run input and earlier steps, with defaults for retry and timeout', () => {
    expect(
      validateSteps([step('fetch', { q: '{{run.input.question}}' }), step('answer', { text: 'from {{steps.fetch.output.title}}', raw: '{{steps.fetch.output}}' }, { retry: { maxAttempts: 3, backoffMs: 50 } })]),
    ).toEqual([
      { id: 'fetch', agentId: AGENT, input: { q: '{{run.input.question}}' }, retry: { maxAttempts: 1, backoffMs: 1000 }, timeoutMs: 30_000 },
      { id: 'answer', agentId: AGENT, input: { text: 'from {{steps.fetch.output.title}}', raw: '{{steps.fetch.output}}' }, retry: { maxAttempts: 3, backoffMs: 50 }, timeoutMs: 30_000 },
    ]);
  });

  it('names forward references, self references, unknown steps and foreign roots by their path', () => {
    expect(
      violationsOf([
        step('a', { x: '{{steps.b.output.y}}' }),
        step('b', { me: '{{steps.b.output}}', ghost: ['{{steps.zzz.output}}'], env: '{{process.env.SECRET}}' }),
      ]),
    ).toEqual([
      { field: 'steps[0].input.x', description: expect.stringContaining('does not run before this one') },
      { field: 'steps[1].input.me', description: expect.stringContaining('does not run before this one') },
      { field: 'steps[1].input.ghost[0]', description: 'refers to unknown step "zzz"' },
      { field: 'steps[1].input.env', description: '{{process.env.SECRET}} must start with run.input or steps.<step id>.output' },
    ]);
  });

  it('names duplicate ids, bad agent ids, invalid JSON, malformed placeholders and out-of-range policies', () => {
    expect(
      violationsOf([
        step('a', {}),
        step('a', '{not json', { agentId: 'agent-7' }),
        step('c', { x: 'hi {{run.input' }, { retry: { maxAttempts: 11, backoffMs: 0 }, timeoutMs: 999_999 }),
      ]).map((v) => v.field),
    ).toEqual(['steps[1].id', 'steps[1].agentId', 'steps[1].input', 'steps[2].input.x', 'steps[2].retry.maxAttempts', 'steps[2].timeoutMs']);
    expect(violationsOf([])).toEqual([{ field: 'steps', description: 'must have at least one step' }]);
  });
});
