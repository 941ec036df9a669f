/**
 * Who may talk to the HTTP server. Requests whose Host or Origin is not the
 * server's own are refused (a web page cannot reach a local server through DNS
 * rebinding), and with a token set every endpoint but /health needs
 * `Authorization: Bearer <token>`, compared in constant time.
 */
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

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** The checks of one listening server. */
export class Guard {
  readonly #hosts: Set<string>;
  readonly #token: Promise<Uint8Array> | null;

  constructor(o: { hostname: string; port: number; token?: string }) {
    this.#hosts = new Set(ownNames(o.hostname).map((n) => `${n}:${o.port}`));
    this.#token = o.token ? digest(o.token) : null;
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

  /** A 401 response when a token is required and the request does not carry it, else null. */
  async checkToken(req: Request): Promise<Response | null> {
    if (!this.#token) return null;
    const given = req.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    // Compare digests: same length whatever was sent, and no early exit.
    const [want, got] = [await this.#token, await digest(given ?? "")];
    let diff = given === undefined ? 1 : 0;
    for (let i = 0; i < want.length; i++) diff |= want[i] ^ got[i];
    if (diff === 0) return null;
    return rpcError(
      401,
      RPC.server,
      given === undefined
        ? "Unauthorized: send Authorization: Bearer <AGENT_MESH_TOKEN>"
        : "Unauthorized: wrong token",
      { "www-authenticate": 'Bearer realm="agent-mesh"' },
    );
  }
}
