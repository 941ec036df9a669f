/** Small timing helpers for tests. They bound waits; they never measure speed. */

/**
 * A block no test waits out: a blocking call that returns within a test was
 * woken, aborted or closed, never timed out, whatever the machine's speed.
 */
export const LONG_BLOCK_MS = 600_000;
/** Bounds a wait that must end (a guard against a hang, not a claim about speed). */
export const HANG_MS = 60_000;

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Settles like `promise`, or rejects naming `what` when it has not settled within
 * `ms`, so that an engine that hangs fails the test instead of stalling the run.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `probe` until it returns a value that `done` accepts, and returns that
 * value; between calls it waits a little. Bounded: rejects after `ms` with the
 * last value seen. For state that another process changes with no signal to wait on.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (let pause = 20;; pause = Math.min(pause * 2, 250)) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not so within ${ms} ms; last: ${JSON.stringify(value)}`);
    }
    await sleep(pause);
  }
}
