/**
 * `/mcp`: Streamable HTTP (MCP 2025-11-25) with the SDK's web-standard transport,
 * one transport and one server per session. An initialize request without a
 * session id opens a session (bound to an agent with `?as=NAME`); an unknown
 * session id is answered 404.
 */
import type { Mesh } from "../../lib/mesh/mesh.ts";
import { UsageError } from "../../lib/errors.ts";
import type { Binding } from "../channel.ts";
import { logError } from "../context.ts";
import { createServer, type MeshServer } from "../server.ts";
import { requestBinding } from "./binding.ts";
import { StreamCarrier } from "./carrier.ts";
import { isInitializeRequest, WebStandardStreamableHTTPServerTransport } from "./sdk_http.ts";
import { readJsonBody, RPC, rpcError, watchEnd } from "./respond.ts";

/** A session closes after this long without a request or an open stream. */
export const SESSION_IDLE_MS = 30 * 60_000;

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  mesh: MeshServer;
  /** Its GET stream, which carries the channel events of a bound session. */
  carrier: StreamCarrier;
  /** Responses still streaming (a waiting call, the GET stream). */
  open: number;
  lastSeen: number;
}

/** The Streamable HTTP sessions of one server. */
export class StreamableSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(
    private readonly o: { mesh: Mesh; maxBodyBytes: number; maxSessions: number },
  ) {
    this.#sweeper = setInterval(() => this.#sweep(), 60_000);
  }

  /** Number of open sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Answers one request to `/mcp`. */
  async handle(req: Request): Promise<Response> {
    const id = req.headers.get("mcp-session-id");
    if (id !== null) {
      const session = this.#sessions.get(id);
      if (!session) return rpcError(404, RPC.sessionNotFound, "Session not found");
      const res = await session.transport.handleRequest(req);
      const isStream = req.method === "GET" && res.ok &&
        res.headers.get("content-type")?.startsWith("text/event-stream") === true;
      return this.#track(session, res, isStream ? session.carrier.opened() : undefined);
    }
    if (req.method !== "POST") {
      return rpcError(400, RPC.server, "Bad Request: Mcp-Session-Id header is required");
    }
    const body = await readJsonBody(req, this.o.maxBodyBytes);
    if ("error" in body) return body.error;
    const parsed = body.value;
    const initialize = Array.isArray(parsed)
      ? parsed.some(isInitializeRequest)
      : isInitializeRequest(parsed);
    if (!initialize) {
      return rpcError(
        400,
        RPC.server,
        "Bad Request: Mcp-Session-Id header is required (or send an initialize request)",
      );
    }
    let bind: Binding | undefined;
    try {
      bind = requestBinding(req, new URL(req.url));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      return rpcError(400, RPC.server, `Bad Request: ${err.message}`);
    }
    if (this.#sessions.size >= this.o.maxSessions) {
      return rpcError(503, RPC.server, `Too many sessions (at most ${this.o.maxSessions})`);
    }
    return await this.#open(req, parsed, bind);
  }

  async #open(req: Request, parsed: unknown, bind: Binding | undefined): Promise<Response> {
    const carrier = new StreamCarrier();
    const mesh = createServer({ mesh: this.o.mesh, bind, carrier });
    let session: Session | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      maxRequestBodySize: this.o.maxBodyBytes,
      onsessioninitialized: (id) => {
        session = { transport, mesh, carrier, open: 0, lastSeen: Date.now() };
        this.#sessions.set(id, session);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.#sessions.delete(transport.sessionId);
      void mesh.cleanup();
    };
    await mesh.connect(transport);
    const res = await transport.handleRequest(req, { parsedBody: parsed });
    if (!session) {
      await transport.close(); // refused before a session began (bad headers, bad batch)
      return res;
    }
    return this.#track(session, res);
  }

  /** Counts `res` as open while it streams; `onEnd` runs when it is done. */
  #track(session: Session, res: Response, onEnd?: () => void): Response {
    session.lastSeen = Date.now();
    if (!res.body) {
      onEnd?.();
      return res;
    }
    session.open++;
    return watchEnd(res, () => {
      session.open--;
      session.lastSeen = Date.now();
      onEnd?.();
    });
  }

  /** Closes sessions that nothing has used for SESSION_IDLE_MS (a client gone without DELETE). */
  #sweep(): void {
    const now = Date.now();
    for (const s of this.#sessions.values()) {
      if (s.open === 0 && now - s.lastSeen > SESSION_IDLE_MS) {
        s.transport.close().catch((err) => logError("closing an idle session", err));
      }
    }
  }

  /** Closes every session. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(all.map((s) => s.mesh.cleanup()));
  }
}
