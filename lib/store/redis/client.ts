/**
 * A small Redis client for Deno, light enough to load on every CLI call: one
 * socket (`Deno.connect`, `Deno.connectTls`), node-redis' RESP encoder and decoder
 * (`resp.js`), pipelined commands with in-order replies, per-command timeouts, and
 * reconnects with an offline queue. No Node socket, no CommonJS, no event emitter.
 */
import { Buffer } from "node:buffer";
import { Decoder, encodeCommand } from "./resp.js";

/** An argument of a command. */
export type Arg = string | number;

/** Where and how to connect, as read from a redis:// or rediss:// URL. */
export interface RedisAddress {
  hostname: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  db: number;
}

/** How a client behaves when Redis is slow, down or gone. */
export interface ClientOptions {
  /** Longest wait for a connection to be ready (socket, AUTH, SELECT). Default 2 s. */
  connectTimeoutMs?: number;
  /** Longest wait for one reply; unset: no limit (blocking commands). */
  commandTimeoutMs?: number;
  /**
   * Delay before reconnect attempt `n` (from 1), or null to give up. Unset: a
   * dropped connection is not reopened, the client ends.
   */
  retryDelay?: (attempt: number) => number | null;
  /** Reconnect attempts a command issued while disconnected waits through. Default 10. */
  maxRetriesPerRequest?: number;
  /** Called with each connection failure (the client handles it; this is for reporting). */
  onError?: (err: Error) => void;
  /** Called each time a connection becomes ready. */
  onReady?: () => void;
}

/** The state of a client, as ioredis names them. */
export type ClientStatus = "wait" | "connecting" | "ready" | "reconnecting" | "end";

/** An error reply of Redis; the message is Redis's own ("WRONGTYPE Operation ..."). */
export class ReplyError extends Error {
  override name = "ReplyError";
}

/** A command that got no reply within the command timeout. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
  readonly code = "ETIMEDOUT";
}

/** A command that waited through too many reconnects. */
export class MaxRetriesPerRequestError extends Error {
  override name = "MaxRetriesPerRequestError";
}

/** A command cut off by a closed connection. */
export class ConnectionClosedError extends Error {
  override name = "ConnectionClosedError";
}

/** A Lua script run by EVALSHA, falling back to EVAL when Redis does not have it. */
export class Script {
  #sha: string | undefined;
  #hashing: Promise<string> | undefined;
  #uses = 0;

  constructor(readonly lua: string) {}

  /**
   * The script's SHA-1, once it is known; computed from the second use on, so that
   * a one-shot process sends EVAL once and never hashes.
   */
  async sha(): Promise<string | undefined> {
    if (this.#sha || ++this.#uses < 2) return this.#sha;
    this.#hashing ??= crypto.subtle.digest("SHA-1", new TextEncoder().encode(this.lua)).then(
      (d) => [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    );
    return this.#sha = await this.#hashing;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer?: ReturnType<typeof setTimeout>;
  /** Settled already (timed out): its reply, when it comes, is dropped. */
  done: boolean;
  /** Reconnects waited through while queued offline. */
  retries: number;
  /** Whole commands, RESP-encoded, when not yet written. */
  bytes?: Uint8Array;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_MAX_RETRIES = 10;
const READ_SIZE = 64 * 1024;
const encoder = new TextEncoder();

/** Reads redis://[user[:password]@]host[:port][/db] (rediss:// for TLS). Throws a TypeError when invalid. */
export function parseRedisUrl(url: string): RedisAddress {
  const u = new URL(url);
  const scheme = u.protocol.toLowerCase();
  if (scheme !== "redis:" && scheme !== "rediss:") {
    throw new TypeError(`Not a redis:// or rediss:// URL: "${u.protocol}"`);
  }
  const path = u.pathname.replace(/^\//, "");
  const db = path === "" ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) throw new TypeError(`Invalid database number "${path}"`);
  const hostname = u.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost";
  const port = u.port ? Number(u.port) : 6379;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  return { hostname, port, tls: scheme === "rediss:", username, password, db };
}

/** Node-style error codes for Deno's socket errors, which redis_errors.ts words. */
function withCode(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if ((e as { code?: unknown }).code) return e;
  const text = e.message;
  const code = e instanceof Deno.errors.ConnectionRefused || /refused/i.test(text)
    ? "ECONNREFUSED"
    : e instanceof Deno.errors.ConnectionReset || /reset by peer/i.test(text)
    ? "ECONNRESET"
    : e instanceof Deno.errors.BrokenPipe
    ? "EPIPE"
    : e instanceof Deno.errors.TimedOut
    ? "ETIMEDOUT"
    : /lookup|resolve|name or service|nodename/i.test(text)
    ? "ENOTFOUND"
    : e instanceof Deno.errors.AddrNotAvailable || /unreachable/i.test(text)
    ? "EHOSTUNREACH"
    : undefined;
  if (code) Object.assign(e, { code });
  return e;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * One connection to Redis. Commands are written as they come, batched per tick
 * (auto-pipelining), and their replies matched in order. While (re)connecting,
 * commands wait in an offline queue, unless the client does not reconnect.
 */
export class RedisClient {
  readonly address: RedisAddress;
  readonly options: ClientOptions;
  #status: ClientStatus = "wait";
  #conn: Deno.Conn | undefined;
  /** Written commands, oldest first, each waiting for its reply. */
  #inFlight: Pending[] = [];
  /** Commands not written yet: waiting for this tick's flush or for a connection. */
  #queued: Pending[] = [];
  #flushing = false;
  #closing = new AbortController();
  #reconnecting: Promise<void> | undefined;
  #reading: Promise<void> | undefined;
  #ended: Promise<void>;
  #markEnded!: () => void;

  constructor(address: RedisAddress, options: ClientOptions = {}) {
    this.address = address;
    this.options = options;
    this.#ended = new Promise((resolve) => this.#markEnded = resolve);
  }

  /** The connection's state; commands are written only when "ready". */
  get status(): ClientStatus {
    return this.#status;
  }

  /** Resolves once the client has ended (closed, or given up reconnecting). */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /** A new client to the same Redis, not connected yet. */
  duplicate(options: ClientOptions = {}): RedisClient {
    return new RedisClient(this.address, options);
  }

  /** Opens the connection once, without retries; rejects with the reason it failed. */
  async connect(): Promise<void> {
    if (this.#status !== "wait") throw new Error(`Cannot connect a client that is ${this.#status}`);
    this.#status = "connecting";
    try {
      await this.#open();
    } catch (err) {
      this.#end(err as Error);
      throw err;
    }
  }

  /** Sends one command; resolves with its reply, rejects with a ReplyError or a transport error. */
  call(cmd: string, ...args: Arg[]): Promise<unknown> {
    return this.#send(this.#encode([cmd, ...args]));
  }

  /**
   * Sends the commands back to back, nothing else in between (MULTI ... EXEC):
   * resolves with every reply, error replies as ReplyError values.
   */
  batch(commands: Arg[][]): Promise<unknown[]> {
    if (this.#status === "end") return Promise.reject(this.#closedError());
    return Promise.all(
      commands.map((c) => this.call(String(c[0]), ...c.slice(1)).catch((err) => err)),
    ).then((replies) => {
      const failure = replies.find((r) => r instanceof Error && !(r instanceof ReplyError));
      if (failure) throw failure;
      return replies;
    });
  }

  /** Runs `script` by EVALSHA, or EVAL when Redis does not know it (or it was never hashed). */
  async evalScript(script: Script, keys: string[], args: Arg[]): Promise<unknown> {
    const sha = await script.sha();
    if (sha) {
      try {
        return await this.call("EVALSHA", sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof ReplyError && /^NOSCRIPT\b/.test(err.message))) throw err;
      }
    }
    return await this.call("EVAL", script.lua, keys.length, ...keys, ...args);
  }

  /** Ends the connection: pending commands reject, reconnects stop. Resolves when closed. */
  async close(): Promise<void> {
    if (this.#status !== "end") this.#end(this.#closedError());
    await this.#reading;
    await this.#reconnecting;
  }

  // ---- writing ----

  #encode(args: Arg[]): Uint8Array {
    const parts = encodeCommand(args.map(String));
    return parts.length === 1 && typeof parts[0] === "string"
      ? encoder.encode(parts[0])
      : Buffer.concat(parts.map((p) => typeof p === "string" ? Buffer.from(p) : p));
  }

  #send(bytes: Uint8Array): Promise<unknown> {
    if (this.#status === "end") return Promise.reject(this.#closedError());
    if (this.#status !== "ready" && !this.options.retryDelay && this.#status !== "connecting") {
      return Promise.reject(this.#closedError());
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, done: false, retries: 0, bytes };
      const ms = this.options.commandTimeoutMs;
      if (ms !== undefined) {
        p.timer = setTimeout(() => {
          this.#settle(p, undefined, new TimeoutError("Command timed out"));
        }, ms);
      }
      this.#queued.push(p);
      if (this.#status === "ready") this.#scheduleFlush();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    queueMicrotask(() => this.#flush());
  }

  /** Writes every queued command in one go; a failed write drops the connection. */
  async #flush(): Promise<void> {
    const conn = this.#conn;
    while (this.#status === "ready" && conn && conn === this.#conn && this.#queued.length) {
      const batch = this.#queued.filter((p) => !p.done);
      this.#queued = [];
      if (!batch.length) break;
      const size = batch.reduce((n, p) => n + p.bytes!.length, 0);
      const out = new Uint8Array(size);
      let at = 0;
      for (const p of batch) {
        out.set(p.bytes!, at);
        at += p.bytes!.length;
        p.bytes = undefined;
        this.#inFlight.push(p);
      }
      try {
        for (let sent = 0; sent < out.length;) sent += await conn.write(out.subarray(sent));
      } catch (err) {
        this.#lost(conn, withCode(err));
        break;
      }
    }
    this.#flushing = false;
    if (this.#status === "ready" && this.#queued.length) this.#scheduleFlush();
  }

  // ---- replies ----

  #settle(p: Pending, value: unknown, err?: Error): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(value);
  }

  #onReply(value: unknown, err?: Error): void {
    const p = this.#inFlight.shift();
    if (!p) return;
    // Error replies nested in a reply (EXEC's) come as plain Errors: make them ReplyErrors.
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v = value[i];
        if (v instanceof Error && !(v instanceof ReplyError)) value[i] = new ReplyError(v.message);
      }
    }
    this.#settle(p, value, err);
  }

  async #read(conn: Deno.Conn): Promise<void> {
    const decoder = new Decoder({
      onReply: (reply) => this.#onReply(reply),
      onErrorReply: (err) => this.#onReply(undefined, new ReplyError(err.message)),
      onPush: () => {},
      getTypeMapping: () => ({}),
    });
    let failure: Error | undefined;
    try {
      const buf = new Uint8Array(READ_SIZE);
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        try {
          // A copy: the decoder may keep slices of a chunk across reads.
          decoder.write(Buffer.from(buf.subarray(0, n)));
        } catch (err) {
          failure = new Error(`Protocol error: ${(err as Error).message}`, { cause: err });
          break;
        }
      }
    } catch (err) {
      failure = withCode(err);
    }
    this.#lost(
      conn,
      failure ?? Object.assign(new Error("Connection closed"), { code: "ECONNRESET" }),
    );
  }

  // ---- connecting ----

  /** Connects, authenticates and selects the database, within the connect timeout. */
  async #open(): Promise<void> {
    const { hostname, port, tls, username, password, db } = this.address;
    const ms = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let conn: Deno.Conn | undefined;
    let abandoned = false; // timed out: a socket that opens later is closed at once
    const signal = this.#closing.signal;
    let onClose = () => {};
    // Ends at the connect timeout, or at once when the client is closed meanwhile.
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(Object.assign(new Error(`connect ETIMEDOUT after ${ms} ms`), { code: "ETIMEDOUT" }));
      }, ms);
      onClose = () => reject(this.#closedError());
      signal.addEventListener("abort", onClose, { once: true });
    });
    const opening = (async () => {
      const c = tls
        ? await Deno.connectTls({ hostname, port })
        : await Deno.connect({ hostname, port });
      conn = c;
      if (abandoned || this.#closing.signal.aborted) throw this.#closedError();
      const hello: Arg[][] = [];
      if (password !== undefined) {
        hello.push(username ? ["AUTH", username, password] : ["AUTH", password]);
      }
      if (db !== 0) hello.push(["SELECT", db]);
      this.#conn = c;
      this.#inFlight = [];
      this.#reading = this.#read(c);
      if (hello.length) {
        const out = hello.map((h) => this.#encode(h));
        const replies = out.map(() =>
          new Promise((resolve, reject) =>
            this.#inFlight.push({ resolve, reject, done: false, retries: 0 })
          )
        );
        replies.forEach((r) => r.catch(() => {}));
        await c.write(Buffer.concat(out));
        await Promise.all(replies);
      }
    })();
    opening.catch(() => {});
    try {
      await Promise.race([opening, late]);
      if (this.#closing.signal.aborted) throw this.#closedError();
    } catch (err) {
      abandoned = true;
      if (conn) {
        if (this.#conn === conn) this.#conn = undefined;
        try {
          (conn as Deno.Conn).close();
        } catch { /* already closed */ }
      }
      throw withCode(err);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onClose);
    }
    this.#status = "ready";
    this.options.onReady?.();
    this.#scheduleFlush();
  }

  /** The connection `conn` is gone: fail what was sent on it, then reconnect or end. */
  #lost(conn: Deno.Conn, err: Error): void {
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    try {
      conn.close();
    } catch { /* already closed */ }
    const inFlight = this.#inFlight;
    this.#inFlight = [];
    // Sent commands are not sent again: Redis may have run them (XADD would run twice).
    const cut = new ConnectionClosedError(`Connection lost: ${err.message}`, { cause: err });
    Object.assign(cut, { code: (err as { code?: unknown }).code });
    for (const p of inFlight) this.#settle(p, undefined, cut);
    if (this.#status === "end" || this.#status === "connecting") return;
    this.options.onError?.(err);
    if (!this.options.retryDelay) {
      this.#end(cut);
      return;
    }
    this.#status = "reconnecting";
    this.#reconnecting ??= this.#reconnect().finally(() => this.#reconnecting = undefined);
  }

  async #reconnect(): Promise<void> {
    const max = this.options.maxRetriesPerRequest ?? DEFAULT_MAX_RETRIES;
    for (let attempt = 1; this.#status === "reconnecting"; attempt++) {
      const delay = this.options.retryDelay!(attempt);
      if (delay === null) {
        this.#end(new MaxRetriesPerRequestError("Gave up reconnecting"));
        return;
      }
      await sleep(delay, this.#closing.signal);
      if (this.#status !== "reconnecting") return;
      try {
        await this.#open();
        return;
      } catch (err) {
        if (this.#status !== "reconnecting") return;
        this.options.onError?.(err as Error);
        // Each command gives up after `max` failed reconnects, as ioredis does.
        for (const p of this.#queued) {
          if (++p.retries > max) {
            this.#settle(
              p,
              undefined,
              new MaxRetriesPerRequestError(
                `Reached the max retries per request limit (which is ${max})`,
                { cause: err },
              ),
            );
          }
        }
        this.#queued = this.#queued.filter((p) => !p.done);
      }
    }
  }

  #closedError(): Error {
    return new ConnectionClosedError("Connection is closed");
  }

  /** Ends for good: every command still waiting rejects with `err`. */
  #end(err: Error): void {
    if (this.#status === "end") return;
    this.#status = "end";
    this.#closing.abort();
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    const waiting = [...this.#inFlight, ...this.#queued];
    this.#inFlight = [];
    this.#queued = [];
    for (const p of waiting) this.#settle(p, undefined, err);
    this.#markEnded();
  }
}
