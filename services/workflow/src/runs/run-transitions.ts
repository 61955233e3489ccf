import { AppError } from '@bulkhead/errors';
import type { RunStatus } from './runs.repository';

/** The run controls a caller may ask for. */
export type RunControl = 'pause' | 'resume' | 'cancel' | 'reset';

/** From which states each control is allowed (DESIGN "Workflows and agents"). */
const ALLOWED_FROM: Readonly<Record<RunControl, readonly RunStatus[]>> = {
  pause: ['pending', 'running'],
  resume: ['paused'],
  cancel: ['pending', 'running', 'paused'],
  reset: ['paused', 'succeeded', 'failed', 'cancelled'],
};

/** Throws FAILED_PRECONDITION (409) naming the state when `control` is not allowed from `status`. */
export function requireControlAllowed(control: RunControl, status: RunStatus): void {
  if (ALLOWED_FROM[control].includes(status)) return;
  throw new AppError({
    kind: 'FAILED_PRECONDITION',
    code: 'RUN_STATE_CONFLICT',
    message: `Cannot ${control} a run that is ${status}; allowed from: ${ALLOWED_FROM[control].join(', ')}.`,
    details: { status, control },
  });
}

/**
 * Where a control leads. Resume returns to running when the run had started (it has step
 * executions in its generation), else to pending, to wait for a concurrency slot again.
 */
export function statusAfter(control: RunControl, hasStarted: boolean): RunStatus {
  switch (control) {
    case 'pause':
      return 'paused';
    case 'resume':
      return hasStarted ? 'running' : 'pending';
    case 'cancel':
      return 'cancelled';
    case 'reset':
      return 'pending';
  }
}
