/**
 * Errors a user can cause (bad files, bad flags, unknown names). The CLI catches this class once
 * and prints its message as one line with a non-zero exit; anything else is a bug and keeps its
 * stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Throw a UserError unless the condition holds. */
export function check(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new UserError(typeof message === 'function' ? message() : message);
}
