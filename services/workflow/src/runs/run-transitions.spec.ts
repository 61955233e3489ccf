import { requireControlAllowed, statusAfter, type RunControl } from './run-transitions';
import { RUN_STATUSES, type RunStatus } from './runs.repository';

const allowed: Record<RunControl, RunStatus[]> = {
  pause: ['pending', 'running'],
  resume: ['paused'],
  cancel: ['pending', 'running', 'paused'],
  reset: ['paused', 'succeeded', 'failed', 'cancelled'],
};

describe('run controls', () => {
  it.each((Object.keys(allowed) as RunControl[]).flatMap((control) => RUN_STATUSES.map((status) => [control, status] as const)))(
    '%s from %s: allowed exactly where the table says, else a 409 naming the state',
    (control, status) => {
      if (allowed[control].includes(status)) expect(() => requireControlAllowed(control, status)).not.toThrow();
      else expect(() => requireControlAllowed(control, status)).toThrow(expect.objectContaining({ kind: 'FAILED_PRECONDITION', message: expect.stringContaining(status) }));
    },
  );

  it('resumes a started run to running and an unstarted one to pending; reset starts over as pending', () => {
    expect(statusAfter('resume', true)).toBe('running');
    expect(statusAfter('resume', false)).toBe('pending');
    expect(statusAfter('reset', true)).toBe('pending');
    expect(statusAfter('cancel', true)).toBe('cancelled');
  });
});
