/**
 * The few error classes agent-mesh raises. `main.ts` turns them into one line on
 * stderr and an exit code: usage errors exit 2, everything else exits 1.
 */

/** Base of every error that is reported to the user as one line, without a stack. */
export class MeshError extends Error {
  /** Process exit code for this error. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command line or bad argument value (exit 2). */
export class UsageError extends MeshError {
  override readonly exitCode = 2;
}

/** An environment variable holds a value agent-mesh cannot use (exit 2). */
export class ConfigError extends MeshError {
  override readonly exitCode = 2;
}

/** The storage engine cannot be reached or failed (exit 1). */
export class StoreError extends MeshError {}

/** The rate gate refused a send (exit 1). */
export class GateDeniedError extends MeshError {}

/** The target's inbox holds as many unread messages as allowed: the send was refused, nothing written (exit 1). */
export class InboxFullError extends MeshError {
  constructor(
    message: string,
    /** The stream that is full. */
    readonly stream: string,
    /** Unread entries it holds. */
    readonly unread: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Waiting for a pong or a reply ran out of time (exit 1). */
export class TimeoutError extends MeshError {}

/** True for errors whose message is meant for the user as is. */
export function isUserError(err: unknown): err is MeshError {
  return err instanceof MeshError;
}
