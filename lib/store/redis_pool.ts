/**
 * Blocking reads of the Redis engine. A blocked XREAD/XREADGROUP holds its whole
 * connection, so each runs on a pooled duplicate connection, never on the main
 * one (whose auto-pipeline would stall behind it). Cancellation is CLIENT UNBLOCK,
 * sent on the main connection with the pooled connection's CLIENT ID.
 */
import type { RedisClient } from "./redis/client.ts";
import { isReplyError, isTransient } from "./redis_errors.ts";

/** Longest pause between two reconnect attempts. */
export const MAX_BACKOFF_MS = 2000;
/**
 * How long a blocked command may overrun its BLOCK time before its connection is
 * presumed dead (a half-open socket, or a frozen Redis) and hung up.
 */
const WATCHDOG_GRACE_MS = 2000;
/** How long a new pooled connection may take to be ready (a frozen Redis accepts, then never answers). */
const CONNECT_TIMEOUT_MS = 2000;
/** How long a cancellation may wait for CLIENT UNBLOCK before dropping the connection. */
const UNBLOCK_WAIT_MS = 300;

/** Reconnect delay after `attempt` failures: 50 ms doubling, capped at MAX_BACKOFF_MS. */
export function backoff(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);
}

/** Waits `ms`, or less when `signal` aborts; never rejects and leaves no timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Ends `conn`; its pending commands reject. Resolves once its socket is closed. */
export function hangUp(conn: RedisClient): Promise<void> {
  return conn.close();
}

/** A pooled connection and its server-side id, for CLIENT UNBLOCK. */
interface Slot {
  conn: RedisClient;
  id: string;
}

/** Pool of connections reserved for blocking commands. */
export class BlockingPool {
  #main: RedisClient;
  #maxIdle: number;
  #idle: Slot[] = [];
  #conns = new Set<RedisClient>();
  #busy = new Set<Promise<unknown>>();
  #closing = new AbortController();

  constructor(main: RedisClient, maxIdle = 64) {
    this.#main = main;
    this.#maxIdle = maxIdle;
  }

  /** `signal` combined with the pool's closing. */
  signalFor(signal?: AbortSignal): AbortSignal {
    return signal ? AbortSignal.any([signal, this.#closing.signal]) : this.#closing.signal;
  }

  /**
   * Runs `fn` on a pooled connection; `fn` blocks on Redis for at most `ms`. When
   * `signal` aborts, the command is unblocked and `use` resolves with its reply
   * (usually null). Transport failures reject; the caller decides to retry.
   */
  use<T>(
    ms: number,
    signal: AbortSignal,
    fn: (conn: RedisClient) => Promise<T | null>,
  ): Promise<T | null> {
    const run = this.#use(ms, signal, fn);
    this.#busy.add(run);
    const forget = () => this.#busy.delete(run);
    run.then(forget, forget);
    return run;
  }

  async #use<T>(
    ms: number,
    signal: AbortSignal,
    fn: (conn: RedisClient) => Promise<T | null>,
  ): Promise<T | null> {
    const slot = await this.#acquire(signal);
    if (!slot) return null;
    let settled = false;
    let unblocking: Promise<void> | undefined;
    const onAbort = () => {
      // On close every connection is hung up anyway: no need to unblock one by one.
      if (!this.#closing.signal.aborted) unblocking ??= this.#unblock(slot, () => settled);
    };
    // A half-open socket (host gone, no RST) would block forever: hang up, the caller retries.
    let overdue = false;
    const watchdog = setTimeout(() => {
      overdue = true;
      hangUp(slot.conn);
    }, ms + WATCHDOG_GRACE_MS);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      return await fn(slot.conn);
    } catch (err) {
      if (signal.aborted) return null;
      if (overdue) throw noAnswer(ms + WATCHDOG_GRACE_MS, err);
      throw err;
    } finally {
      settled = true;
      clearTimeout(watchdog);
      signal.removeEventListener("abort", onAbort);
      if (unblocking) await unblocking;
      this.#release(slot);
    }
  }

  /** Unblocks the slot's command; a command not blocked yet gets a few more tries. */
  async #unblock(slot: Slot, settled: () => boolean): Promise<void> {
    const deadline = Date.now() + UNBLOCK_WAIT_MS;
    while (slot.id && !settled() && Date.now() < deadline) {
      const unblocked = await raceTimeout(
        this.#main.call("CLIENT", "UNBLOCK", slot.id).then((n) => n === 1, () => null),
        deadline - Date.now(),
      );
      if (unblocked === true || settled()) return;
      if (unblocked === null) break; // main connection down or slow: give up on it
      await sleep(5);
    }
    if (!settled()) hangUp(slot.conn); // its command then rejects, and use() resolves
  }

  async #acquire(signal: AbortSignal): Promise<Slot | null> {
    for (let slot = this.#idle.pop(); slot; slot = this.#idle.pop()) {
      if (slot.conn.status === "ready") return slot;
      hangUp(slot.conn);
    }
    if (signal.aborted) return null;
    const pending = this.#connect();
    let stop = () => {};
    const aborted = new Promise<null>((resolve) => {
      stop = () => resolve(null);
      signal.addEventListener("abort", stop, { once: true });
    });
    try {
      const slot = await Promise.race([pending, aborted]);
      if (!slot) pending.then((s) => this.#release(s), () => {});
      return slot;
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }

  async #connect(): Promise<Slot> {
    // No reconnects and no offline queue here: a dropped pooled connection fails its
    // command at once and is replaced, so the retry loop keeps control of the timing.
    // Blocking commands outlast any fixed timeout: the watchdog of use() bounds them.
    const conn = this.#main.duplicate({ connectTimeoutMs: CONNECT_TIMEOUT_MS });
    this.#conns.add(conn);
    conn.ended.then(() => this.#conns.delete(conn));
    try {
      const ready = (async () => {
        await conn.connect();
        // A user without CLIENT rights gets no id: cancelling then hangs the connection up.
        return await conn.call("CLIENT", "ID").then(String, (err) => {
          if (isReplyError(err)) return "";
          throw err;
        });
      })();
      ready.catch(() => {}); // when late, its failure after the hang-up is of no interest
      const id = await raceTimeout(ready, CONNECT_TIMEOUT_MS);
      if (id === null) throw noAnswer(CONNECT_TIMEOUT_MS);
      return { conn, id };
    } catch (err) {
      hangUp(conn);
      throw err;
    }
  }

  #release(slot: Slot): void {
    const reusable = slot.conn.status === "ready" && !this.#closing.signal.aborted &&
      this.#idle.length < this.#maxIdle;
    if (reusable) this.#idle.push(slot);
    else hangUp(slot.conn);
  }

  /** Ends every blocked command (they resolve with nothing) and every connection. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#idle = [];
    const conns = [...this.#conns];
    const closing = conns.map(hangUp);
    await Promise.allSettled([...this.#busy]);
    await Promise.all(closing);
  }
}

/** The error of a Redis that gave no answer within `ms`: the socket is open, nothing comes back. */
function noAnswer(ms: number, cause?: unknown): Error {
  return Object.assign(new Error(`no answer within ${ms} ms`, { cause }), { code: "ETIMEDOUT" });
}

function isNoAnswer(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ETIMEDOUT";
}

/** Resolves with `p`'s value, or null after `ms`; the timer is always cleared. */
function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Calls `attempt(ms)` in slices of at most `sliceMs` until it yields something,
 * `blockMs` have passed, or `signal` aborts (then null). Transport failures are
 * retried with backoff until the deadline: a Redis restart costs a pause, not an
 * error. A Redis that accepts connections but never answers (frozen) is different:
 * when the last attempt before the deadline got no answer, its error is thrown.
 */
export async function blockUntil<T>(
  blockMs: number,
  sliceMs: number,
  signal: AbortSignal,
  attempt: (ms: number) => Promise<T | null>,
): Promise<T | null> {
  const deadline = Date.now() + blockMs;
  let failures = 0;
  let silent: unknown = undefined; // the last attempt's error when Redis did not answer
  while (!signal.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) {
      if (silent !== undefined) throw silent;
      return null;
    }
    try {
      const got = await attempt(Math.max(1, Math.ceil(Math.min(left, sliceMs))));
      failures = 0;
      silent = undefined;
      if (got !== null) return got;
    } catch (err) {
      if (signal.aborted) return null;
      if (!isTransient(err)) throw err;
      silent = isNoAnswer(err) ? err : undefined;
      failures++;
      await sleep(Math.max(0, Math.min(backoff(failures), deadline - Date.now())), signal);
    }
  }
  return null;
}
