/**
 * How many sessions the HTTP server holds, and for whom, so that one client
 * cannot lock everyone else out: a cap per agent name and per anonymous client
 * address below the server's cap, and sessions that were opened and never used
 * (no request but initialize, no stream) are closed after a minute, or at once
 * to make room when the server is full. A legacy SSE session holds its stream
 * from the start: it ends when its client goes, and is never reaped as unused.
 */
import { RPC, rpcError } from "./respond.ts";

/** Limits on the sessions of one HTTP server. */
export interface SessionLimits {
  /** Sessions of both transports together. */
  total: number;
  /** Sessions bound to one agent name (`?as=NAME`, `X-Agent-Name`). */
  perAgent: number;
  /** Sessions bound to no agent, from one client address. */
  perAnonymous: number;
  /** A session that made no request but initialize and opened no stream is closed after this. */
  unusedMs: number;
  /** A Streamable HTTP session with no request and no open stream for this long is closed. */
  idleMs: number;
}

/** The limits of `serve --http`. */
export const DEFAULT_LIMITS: SessionLimits = {
  total: 1000,
  perAgent: 16,
  perAnonymous: 200,
  unusedMs: 60_000,
  idleMs: 30 * 60_000,
};

/** Who a session counts against. */
export interface Principal {
  readonly key: string;
  /** How the 503 and the log name it. */
  readonly label: string;
  readonly cap: number;
}

/** The principal of a session for `agent` (or none) opened from address `client`. */
export function principalOf(
  agent: string | undefined,
  client: string,
  limits: SessionLimits,
): Principal {
  return agent !== undefined
    ? { key: `agent:${agent}`, label: `agent "${agent}"`, cap: limits.perAgent }
    : {
      key: `client:${client}`,
      label: `${client} without an agent name`,
      cap: limits.perAnonymous,
    };
}

/** A session as the budget sees it. */
export interface Tenant {
  readonly principal: Principal;
  /** When it opened (the budget's clock). */
  readonly opened: number;
  /** True once it made a request other than initialize, or opened a stream. */
  used: boolean;
  /** Closes the session; `why` is logged. */
  close(why: string): void;
}

/** The sessions of one server, across transports. */
export class SessionBudget {
  /** Oldest first (a Set keeps insertion order). */
  readonly #tenants = new Set<Tenant>();
  readonly #counts = new Map<string, number>();

  constructor(readonly limits: SessionLimits, readonly now: () => number) {}

  /** Open sessions. */
  get size(): number {
    return this.#tenants.size;
  }

  /**
   * Null when a session of `p` may open now (when the server is full, the oldest
   * never-used session is closed to make room), else the 503 to answer.
   */
  admit(p: Principal): Response | null {
    if ((this.#counts.get(p.key) ?? 0) >= p.cap) {
      return busy(`Too many sessions for ${p.label} (at most ${p.cap})`, this.limits);
    }
    if (this.#tenants.size >= this.limits.total) {
      const unused = [...this.#tenants].find((t) => !t.used);
      if (!unused) return busy(`Server full (${this.limits.total} sessions)`, this.limits);
      this.remove(unused);
      unused.close("closed to make room: never used");
    }
    return null;
  }

  /** Counts an opened session. */
  add(t: Tenant): void {
    if (this.#tenants.has(t)) return;
    this.#tenants.add(t);
    this.#counts.set(t.principal.key, (this.#counts.get(t.principal.key) ?? 0) + 1);
  }

  /** Stops counting a session (closed, or being closed). Safe to call twice. */
  remove(t: Tenant): void {
    if (!this.#tenants.delete(t)) return;
    const left = (this.#counts.get(t.principal.key) ?? 1) - 1;
    if (left > 0) this.#counts.set(t.principal.key, left);
    else this.#counts.delete(t.principal.key);
  }

  /** Closes the sessions opened more than `unusedMs` ago and never used. */
  sweep(): void {
    const now = this.now();
    for (const t of [...this.#tenants]) {
      if (!t.used && now - t.opened >= this.limits.unusedMs) {
        this.remove(t);
        t.close(`closed: no request but initialize within ${this.limits.unusedMs / 1000} s`);
      }
    }
  }
}

/** The 503 of a refused session: what happened and what to do, in one line. */
function busy(reason: string, limits: SessionLimits): Response {
  const wait = Math.ceil(limits.unusedMs / 1000);
  return rpcError(
    503,
    RPC.server,
    `${reason}: close the sessions you no longer use (DELETE /mcp with their Mcp-Session-Id, ` +
      `or end their /sse stream), or try again in ${wait} s (a session that makes no request but ` +
      `initialize is closed after ${wait} s)`,
    { "retry-after": String(wait) },
  );
}
