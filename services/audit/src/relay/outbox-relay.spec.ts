import { backoffDelay } from './outbox-relay';

const backoff = { initialMs: 100, maxMs: 5000 };

describe('backoffDelay', () => {
  it('doubles from the initial delay per consecutive failure and stops at the cap', () => {
    const top = (failures: number): number => backoffDelay(failures, backoff, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(top)).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('jitters between half and all of the step, so stalled relays do not retry in lockstep', () => {
    expect(backoffDelay(3, backoff, () => 0)).toBe(200);
    expect(backoffDelay(3, backoff, () => 0.5)).toBe(300);
    expect(backoffDelay(1000, backoff, () => 0)).toBe(2500);
  });
});
