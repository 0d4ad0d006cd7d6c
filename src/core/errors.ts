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

/** Run `f`, prefixing the message of any UserError it throws with the file it was reading. */
export function withPathPrefix<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`${path}: ${err.message}`);
    throw err;
  }
}
