import { aptFailure } from './debian-packages';

describe('aptFailure', () => {
  it("takes apt's error line over its last line", () => {
    const output = ['Reading package lists...', 'E: Unable to locate package redis-server', 'redis-tools'].join('\n');
    expect(aptFailure(output)).toBe('Unable to locate package redis-server');
  });

  it('falls back to the last line', () => {
    expect(aptFailure('Reading package lists...\nsomething odd\n')).toBe('something odd');
  });
});
