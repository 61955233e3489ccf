import { isEventError } from './log-consumer';

describe('isEventError', () => {
  it('is true for errors of the data: data exception, integrity violation, program limit', () => {
    for (const code of ['22008', '22P02', '23505', '54000']) expect(isEventError(Object.assign(new Error('refused'), { code }))).toBe(true);
  });

  it('is false for connection, lock, resource, permission and unknown errors, which are retried', () => {
    for (const code of ['08006', '40001', '40P01', '53300', '55P03', '57P01', '42501', 'XX000']) {
      expect(isEventError(Object.assign(new Error('transient'), { code }))).toBe(false);
    }
    expect(isEventError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isEventError(Object.assign(new Error('socket'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isEventError(undefined)).toBe(false);
  });
});
