/**
 * A failure the operator can act on: `message` is ONE line saying what failed and what to do.
 * The CLI prints it without a stack trace and exits non-zero.
 */
export class DevstackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevstackError';
  }
}
