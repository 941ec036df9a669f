/**
 * Who may talk to the HTTP server. Requests whose Host or Origin is not the
 * server's own are refused (a web page cannot reach a local server through DNS
 * rebinding). With a token set every endpoint but /health needs
 * `Authorization: Bearer <token>`; with agent tokens on, a session bound to an
 * agent needs that agent's token. Tokens are compared in constant time.
 */
import type { Buffer } from "node:buffer";
import { createHash, timingSafeEqual } from "node:crypto";
import type { AgentTokens } from "../../lib/tokens.ts";
import { RPC, rpcError } from "./respond.ts";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARDS = ["0.0.0.0", "::", "[::]"];

/** True for an address or name that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** `host` as it appears in a Host header: IPv6 addresses in brackets, lower case. */
function hostForm(host: string): string {
  const h = host.toLowerCase();
  return h.includes(":") && !h.startsWith("[") ? `[${h}]` : h;
}

/** The names under which clients may address a server bound to `hostname`. */
export function ownNames(hostname: string): string[] {
  const names = new Set([...LOOPBACK_NAMES, hostForm(hostname)]);
  if (WILDCARDS.includes(hostname)) {
    // Bound to every interface: any of this machine's names and addresses.
    try {
      names.add(Deno.hostname().toLowerCase());
    } catch { /* no --allow-sys: loopback names only */ }
    try {
      for (const i of Deno.networkInterfaces()) names.add(hostForm(i.address));
    } catch { /* idem */ }
  }
  return [...names];
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** The bearer token of `req`, or undefined. */
function bearer(req: Request): string | undefined {
  return req.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
}

function unauthorized(message: string): Response {
  return rpcError(401, RPC.server, `Unauthorized: ${message}`, {
    "www-authenticate": 'Bearer realm="agent-mesh"',
  });
}

/** The checks of one listening server. */
export class Guard {
  readonly #hosts: Set<string>;
  readonly #token: Buffer | null;
  readonly #agents: AgentTokens | null;

  constructor(o: { hostname: string; port: number; token?: string; agentTokens?: AgentTokens }) {
    this.#hosts = new Set(ownNames(o.hostname).map((n) => `${n}:${o.port}`));
    this.#token = o.token ? digest(o.token) : null;
    this.#agents = o.agentTokens ?? null;
  }

  /** A 403 response when Host or Origin is foreign, else null. */
  checkOrigin(req: Request): Response | null {
    const host = req.headers.get("host")?.toLowerCase();
    if (!host || !this.#hosts.has(host)) {
      return rpcError(
        403,
        RPC.server,
        `Forbidden: Host ${JSON.stringify(host ?? "")} is not this server`,
      );
    }
    const origin = req.headers.get("origin");
    if (origin === null) return null; // not a browser: nothing to rebind
    let url: URL | null = null;
    try {
      url = new URL(origin);
    } catch { /* "null" or garbage */ }
    if (!url || !/^https?:$/.test(url.protocol) || !this.#hosts.has(url.host.toLowerCase())) {
      return rpcError(
        403,
        RPC.server,
        `Forbidden: Origin ${JSON.stringify(origin)} is not this server`,
      );
    }
    return null;
  }

  /** True when agent tokens are on (at least one exists): a session claiming an agent needs its token. */
  agentTokensOn(): boolean {
    return this.#agents?.on() ?? false;
  }

  /**
   * A 401 response when `req` may not act for `agent` (undefined: a session bound
   * to no agent), else null. With agent tokens on, a bound session needs its
   * agent's token and an unbound one the server's AGENT_MESH_TOKEN; otherwise
   * every request needs AGENT_MESH_TOKEN when it is set.
   */
  authorize(req: Request, agent: string | undefined): Response | null {
    const given = bearer(req);
    if (this.agentTokensOn()) {
      if (agent !== undefined) {
        if (this.#agents!.verify(agent, given)) return null;
        return unauthorized(
          given === undefined
            ? `agent tokens are on: send Authorization: Bearer <the token of "${agent}"> (agent-mesh token create ${agent})`
            : this.#agents!.has(agent)
            ? `wrong token for agent "${agent}"`
            : `agent "${agent}" has no token (agent-mesh token create ${agent})`,
        );
      }
      if (!this.#token) {
        return unauthorized(
          "agent tokens are on: open the session as an agent (/mcp?as=NAME) with that agent's token, or set AGENT_MESH_TOKEN on the server for sessions bound to no agent",
        );
      }
    }
    if (!this.#token) return null;
    // Compare digests: same length whatever was sent, and no early exit.
    const same = timingSafeEqual(this.#token, digest(given ?? ""));
    if (same && given !== undefined) return null;
    return unauthorized(
      given === undefined ? "send Authorization: Bearer <AGENT_MESH_TOKEN>" : "wrong token",
    );
  }
}
