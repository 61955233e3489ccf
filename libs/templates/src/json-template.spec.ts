import { inspectTemplate, renderTemplate } from './index';

const scope = { run: { input: { user: { name: 'Ada', tags: ['a', 'b'] }, count: 3 } }, steps: { fetch: { output: { ok: true, items: [{ id: 'x1' }] } } } };

describe('renderTemplate', () => {
  it('gives an exact placeholder the value with its type, and interpolates the rest as text', () => {
    expect(
      renderTemplate(
        { who: '{{run.input.user}}', count: '{{ run.input.count }}', ok: '{{steps.fetch.output.ok}}', first: '{{steps.fetch.output.items.0.id}}', line: 'Hi {{run.input.user.name}}, {{run.input.count}} of {{run.input.user.tags}}', keep: [1, null, false] },
        scope,
      ),
    ).toEqual({ who: { name: 'Ada', tags: ['a', 'b'] }, count: 3, ok: true, first: 'x1', line: 'Hi Ada, 3 of ["a","b"]', keep: [1, null, false] });
  });

  it('renders what the scope lacks as null (exact) or empty text, and never reaches the prototype', () => {
    expect(renderTemplate({ a: '{{run.input.missing}}', b: 'x{{run.input.missing.deeper}}y', c: '{{run.input.constructor}}' }, scope)).toEqual({ a: null, b: 'xy', c: null });
  });
});

describe('inspectTemplate', () => {
  it('lists every placeholder with where it is', () => {
    expect(inspectTemplate({ body: { q: '{{input.question}}' }, list: ['x {{steps.a.output.v}} {{run.input.y}}'] }).references).toEqual([
      { location: 'body.q', path: ['input', 'question'] },
      { location: 'list[0]', path: ['steps', 'a', 'output', 'v'] },
      { location: 'list[0]', path: ['run', 'input', 'y'] },
    ]);
  });

  it('names malformed placeholders and unclosed braces by location', () => {
    expect(inspectTemplate({ a: '{{ }}', b: { c: 'hello {{run.input' }, d: '{{a..b}}', e: '{{process.exit()}}' }).problems).toEqual([
      { location: 'a', message: 'placeholder {{}} is not a dot-separated path' },
      { location: 'b.c', message: 'has an unclosed {{' },
      { location: 'd', message: 'placeholder {{a..b}} is not a dot-separated path' },
      { location: 'e', message: 'placeholder {{process.exit()}} is not a dot-separated path' },
    ]);
  });
});
