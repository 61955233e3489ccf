import { deriveSlug, SLUG_PATTERN, withRandomSuffix } from './slugs';

describe('organization slugs', () => {
  it.each([
    ['Acme', 'acme'],
    ['Acme Corp.', 'acme-corp'],
    ['  --Hello,   World!!  ', 'hello-world'],
    ['Café Crème', 'cafe-creme'],
    ['R&D 2026', 'r-d-2026'],
  ])('derives %j → %j', (name, slug) => {
    expect(deriveSlug(name)).toBe(slug);
    expect(slug).toMatch(SLUG_PATTERN);
  });

  it('falls back to `org` when the name has no letters or digits to use', () => {
    expect(deriveSlug('日本')).toBe('org');
    expect(deriveSlug('!!!')).toBe('org');
  });

  it('keeps long names within 63 characters and never ends on a dash', () => {
    const slug = deriveSlug(`${'a'.repeat(62)} b`);
    expect(slug).toHaveLength(62);
    expect(slug).toMatch(SLUG_PATTERN);
    expect(deriveSlug('x'.repeat(100))).toHaveLength(63);
  });

  it('a suffix makes short, long and fallback slugs valid and distinct', () => {
    for (const base of ['a', 'org', 'x'.repeat(63), `${'y'.repeat(55)}-zzzz`]) {
      const first = withRandomSuffix(base);
      expect(first).toMatch(SLUG_PATTERN);
      expect(first).not.toBe(withRandomSuffix(base));
    }
    expect(withRandomSuffix('acme')).toMatch(/^acme-[a-z0-9]{6}$/);
  });

  it('short derived slugs are not valid alone (they get a suffix)', () => {
    expect(deriveSlug('A')).toBe('a');
    expect(SLUG_PATTERN.test('a')).toBe(false);
  });
});
