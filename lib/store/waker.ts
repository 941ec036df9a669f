/**
 * Wakes blocked readers of the embedded engine when a stream they wait on gets an
 * entry, across processes, without polling.
 *
 * Each store instance has one loopback UDP socket, bound the first time a read
 * blocks. A process with blocked readers on a stream keeps a row (stream, port)
 * in the `waiters` table; a writer, after committing an append, sends one small
 * datagram naming the streams to each port registered for them, and wakes the
 * readers of its own instance directly. A datagram only says "look again": the
 * readers re-run their query, so a lost, late or forged datagram costs a query at
 * most. As a safety net against lost datagrams, blocked readers also look again
 * when `PRAGMA data_version` says another connection committed: checked after
 * 1 s, then less often (up to every 8 s) while the file stays quiet, since each
 * wake-up of an idle Deno process costs 1-2 ms of CPU and a quiet file has
 * nothing to miss.
 *
 * `node:dgram` is loaded with the socket, on first use: a process that blocks on
 * nothing and has nobody to wake (most CLI calls) never loads it.
 */
import type { Socket } from "node:dgram";

/** What the waker needs from the database. */
export interface WaiterTable {
  /** Creates or extends the rows (stream, port) until `expiresMs`. */
  register(streams: string[], port: number, expiresMs: number): Promise<void>;
  /** Deletes the rows (stream, port). */
  unregister(streams: string[], port: number): Promise<void>;
  /** A number that changes when another connection commits. */
  dataVersion(): number;
}

// A row outlives its process by at most this long; live processes renew it.
const REGISTRATION_MS = 30_000;
const RENEW_WITHIN_MS = 15_000;
const CHECK_MIN_MS = 1_000;
const CHECK_MAX_MS = 8_000;
// Keeps the row a little after the last reader of a stream leaves, so that a
// read loop does not write to the database twice per message.
const RELEASE_DELAY_MS = 1_000;
const MAGIC = "agent-mesh-wake\n";
const MAX_DATAGRAM = 8_000;
const LOOPBACK = "127.0.0.1";
// setTimeout cannot wait longer than this.
const MAX_DELAY_MS = 2 ** 31 - 1;

/** One blocked read's interest in some streams. */
export class Subscription {
  #generation = 0;
  #end: (() => void) | undefined;

  constructor(readonly streams: string[], private readonly waker: Waker) {}

  /** Grows each time one of the streams may have changed. */
  get generation(): number {
    return this.#generation;
  }

  /** Records a possible change and ends the current wait. */
  poke(): void {
    this.#generation++;
    this.#end?.();
  }

  /**
   * Waits until the generation differs from `seen` (at once when it already
   * does), until `untilMs` (epoch ms), until `signal` aborts or the waker closes.
   */
  wait(seen: number, untilMs: number, signal?: AbortSignal): Promise<void> {
    if (seen !== this.#generation || this.waker.closed || signal?.aborted) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", end);
        this.#end = undefined;
        resolve();
      };
      // Left ref'd on purpose: a blocked read keeps its process alive.
      const timer = setTimeout(end, Math.min(Math.max(untilMs - Date.now(), 0), MAX_DELAY_MS));
      signal?.addEventListener("abort", end, { once: true });
      this.#end = end;
    });
  }

  /** Ends the interest. */
  release(): void {
    this.waker.release(this);
  }
}

/** The per-store-instance wake machinery. */
export class Waker {
  #socket: Socket | undefined;
  #binding: Promise<Socket | undefined> | undefined;
  readonly #subs = new Map<string, Set<Subscription>>();
  /** Streams with a row for our port, and when that row expires. */
  readonly #registered = new Map<string, number>();
  readonly #idle = new Set<string>();
  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  #releaseTimer: ReturnType<typeof setTimeout> | undefined;
  #version = 0;
  #checkEvery = CHECK_MIN_MS;
  // Database writes of the waker run one after another, so that a late
  // unregister can never undo a newer register.
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(private readonly table: WaiterTable) {}

  /** True after `close`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Our UDP port, once bound. */
  get port(): number | undefined {
    return this.#socket?.address().port;
  }

  /** Registers interest in `streams` for one blocked read. */
  async subscribe(streams: string[]): Promise<Subscription> {
    const sub = new Subscription(streams, this);
    for (const stream of streams) {
      let set = this.#subs.get(stream);
      if (!set) this.#subs.set(stream, set = new Set());
      set.add(sub);
      this.#idle.delete(stream);
    }
    this.#startChecks();
    try {
      const socket = await this.#bind();
      if (socket && !this.#closed) await this.#register(socket.address().port, streams);
    } catch (err) {
      sub.release();
      throw err;
    }
    return sub;
  }

  /** Called by `Subscription.release`. */
  release(sub: Subscription): void {
    for (const stream of sub.streams) {
      const set = this.#subs.get(stream);
      if (!set?.delete(sub) || set.size > 0) continue;
      this.#subs.delete(stream);
      this.#idle.add(stream);
    }
    if (this.#subs.size === 0 && this.#checkTimer !== undefined) {
      clearTimeout(this.#checkTimer);
      this.#checkTimer = undefined;
    }
    if (this.#idle.size > 0 && this.#releaseTimer === undefined && !this.#closed) {
      const timer = setTimeout(() => this.#releaseIdle(), RELEASE_DELAY_MS);
      Deno.unrefTimer(timer);
      this.#releaseTimer = timer;
    }
  }

  /** Wakes this instance's readers of `streams`. */
  notify(streams: Iterable<string>): void {
    for (const stream of streams) {
      for (const sub of this.#subs.get(stream) ?? []) sub.poke();
    }
  }

  /** Sends each port its streams; resolves once sent. Failures are ignored. */
  async send(targets: Map<number, string[]>): Promise<void> {
    if (targets.size === 0 || this.#closed) return;
    const socket = await this.#bind();
    if (!socket || this.#closed) return;
    const own = socket.address().port;
    const sends: Promise<void>[] = [];
    for (const [port, streams] of targets) {
      if (port === own) continue;
      for (const payload of payloads(streams)) {
        sends.push(new Promise((resolve) => socket.send(payload, port, LOOPBACK, () => resolve())));
      }
    }
    await Promise.all(sends);
  }

  /** Ends every wait, deletes our rows, closes the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#checkTimer);
    clearTimeout(this.#releaseTimer);
    this.#checkTimer = this.#releaseTimer = undefined;
    for (const set of this.#subs.values()) for (const sub of set) sub.poke();
    const socket = await this.#binding;
    const streams = [...this.#registered.keys()];
    this.#registered.clear();
    if (socket && streams.length > 0) {
      const port = socket.address().port;
      await this.#serial(() => this.table.unregister(streams, port)).catch(() => {});
    } else {
      await this.#queue;
    }
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** The socket, bound on first use; undefined where UDP is unavailable. */
  #bind(): Promise<Socket | undefined> {
    this.#binding ??= import("node:dgram").then(({ createSocket }) => this.#bound(createSocket));
    return this.#binding;
  }

  #bound(createSocket: typeof import("node:dgram").createSocket): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const socket = createSocket("udp4");
      // unref before bind: Deno ignores an unref after it.
      socket.unref();
      socket.on("message", (msg, rinfo) => this.#onDatagram(msg, rinfo.address));
      // Without a socket, readers still wake within the safety check interval.
      socket.once("error", () => resolve(undefined));
      socket.on("error", () => {});
      socket.bind(0, LOOPBACK, () => {
        this.#socket = socket;
        resolve(socket);
      });
    });
  }

  #onDatagram(msg: Uint8Array, from: string): void {
    if (from !== LOOPBACK) return;
    const text = new TextDecoder().decode(msg);
    if (!text.startsWith(MAGIC)) return;
    try {
      const streams: unknown = JSON.parse(text.slice(MAGIC.length));
      if (Array.isArray(streams)) this.notify(streams.filter((s) => typeof s === "string"));
    } catch {
      // Not ours: ignore.
    }
  }

  /** Writes rows for the streams whose row is missing or expires soon. */
  async #register(port: number, streams: string[]): Promise<void> {
    const now = Date.now();
    const due = streams.filter((s) => (this.#registered.get(s) ?? 0) < now + RENEW_WITHIN_MS);
    if (due.length === 0) return;
    const expires = now + REGISTRATION_MS;
    for (const stream of due) this.#registered.set(stream, expires);
    try {
      await this.#serial(() => this.table.register(due, port, expires));
    } catch (err) {
      for (const stream of due) this.#registered.delete(stream);
      throw err;
    }
  }

  #releaseIdle(): void {
    this.#releaseTimer = undefined;
    const port = this.port;
    const streams = [...this.#idle].filter((s) => !this.#subs.has(s) && this.#registered.has(s));
    this.#idle.clear();
    for (const stream of streams) this.#registered.delete(stream);
    if (port === undefined || streams.length === 0 || this.#closed) return;
    // A row left behind only costs a datagram until it expires.
    this.#serial(() => this.table.unregister(streams, port)).catch(() => {});
  }

  #startChecks(): void {
    if (this.#checkTimer !== undefined || this.#closed) return;
    this.#version = this.#readVersion();
    this.#checkEvery = CHECK_MIN_MS;
    this.#scheduleCheck();
  }

  #scheduleCheck(): void {
    const timer = setTimeout(() => this.#check(), this.#checkEvery);
    // The blocked reads' own timers keep the process alive, not this one.
    Deno.unrefTimer(timer);
    this.#checkTimer = timer;
  }

  #check(): void {
    this.#checkTimer = undefined;
    if (this.#closed || this.#subs.size === 0) return;
    const version = this.#readVersion();
    // Without a socket (UDP refused), the check is all there is: keep it at 1 s.
    const quiet = version === this.#version && this.#socket !== undefined;
    this.#checkEvery = quiet ? Math.min(this.#checkEvery * 2, CHECK_MAX_MS) : CHECK_MIN_MS;
    if (version !== this.#version) {
      this.#version = version;
      for (const set of this.#subs.values()) for (const sub of set) sub.poke();
    }
    const port = this.port;
    if (port !== undefined) this.#register(port, [...this.#subs.keys()]).catch(() => {});
    this.#scheduleCheck();
  }

  #readVersion(): number {
    try {
      return this.table.dataVersion();
    } catch {
      return NaN; // never equal: the next check wakes everyone, who then see the error
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}

/** The datagrams that name `streams`, each small enough for any loopback. */
function payloads(streams: string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const encoder = new TextEncoder();
  let batch: string[] = [];
  const flush = () => {
    if (batch.length > 0) out.push(encoder.encode(MAGIC + JSON.stringify(batch)));
    batch = [];
  };
  let size = 0;
  for (const stream of streams) {
    const len = JSON.stringify(stream).length + 1;
    if (size + len > MAX_DATAGRAM) {
      flush();
      size = 0;
    }
    batch.push(stream);
    size += len;
  }
  flush();
  return out;
}
