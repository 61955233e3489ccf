import { validateAgentConfig } from './agent-kinds';

const violations = (kind: string, config: unknown) => {
  try {
    validateAgentConfig(kind, typeof config === 'string' ? config : JSON.stringify(config));
  } catch (err) {
    const error = err as { kind: string; fieldViolations: { field: string }[] };
    expect(error.kind).toBe('UNPROCESSABLE');
    return error.fieldViolations.map((v) => v.field);
  }
  throw new Error('expected a refusal');
};

describe('agent configs', () => {
  it('fills defaults per kind', () => {
    expect(validateAgentConfig('http', JSON.stringify({ url: 'https://api.example.test/hook', body: { q: '{{input.q}}' } })).config).toEqual({
      url: 'https://api.example.test/hook',
      method: 'POST',
      headers: {},
      body: { q: '{{input.q}}' },
      timeoutMs: 10_000,
    });
    expect(validateAgentConfig('knowledge-qa', '').config).toEqual({ maxPassages: 3 });
    expect(validateAgentConfig('transform', JSON.stringify({ template: { a: '{{input.b}}' } })).config).toEqual({ template: { a: '{{input.b}}' } });
  });

  it('names the path of every problem: unknown kind, bad url, timeout, templates reading outside input, extra keys', () => {
    expect(violations('python', {})).toEqual(['kind']);
    expect(violations('http', { url: 'ftp://x.test', timeoutMs: 60_000 })).toEqual(['config.url', 'config.timeoutMs']);
    expect(violations('http', { url: 'https://x.test', body: { leak: '{{process.env}}', bad: '{{input' } })).toEqual(['config.body.bad', 'config.body.leak']);
    expect(violations('transform', { template: { a: '{{run.input.x}}' }, extra: 1 })).toEqual(['config']);
    expect(violations('knowledge-qa', { maxPassages: 0 })).toEqual(['config.maxPassages']);
    expect(violations('transform', '{nope')).toEqual(['config']);
  });
});
