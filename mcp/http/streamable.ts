/**
 * `/mcp`: Streamable HTTP (MCP 2025-11-25) with the SDK's web-standard transport,
 * one transport and one server per session. An initialize request without a
 * session id opens a session (bound to an agent with `?as=NAME`); an unknown
 * session id is answered 404.
 *
 * Every streamed body goes through a BoundedBody: a client that reads nothing
 * cannot make the server hold more than a bound for it, and a response or a
 * pushed event counts as sent only once the connection took it.
 */
import type { Mesh } from "../../lib/mesh/mesh.ts";
import { UsageError } from "../../lib/errors.ts";
import type { Binding } from "../channel.ts";
import { duplicateError } from "../requests.ts";
import { createServer, type MeshServer } from "../server.ts";
import {
  isJSONRPCErrorResponse,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
  type Transport,
} from "../sdk.ts";
import { requestBinding } from "./binding.ts";
import { BoundedBody, type QueueMeter } from "./bounded.ts";
import { principalOf, type SessionBudget, type Tenant } from "./budget.ts";
import { StreamCarrier } from "./carrier.ts";
import type { Guard } from "./guard.ts";
import { isInitializeRequest, WebStandardStreamableHTTPServerTransport } from "./sdk_http.ts";
import { json, readJsonBody, RPC, rpcError } from "./respond.ts";

/** What the sessions of either transport share. */
export interface SessionsOptions {
  mesh: Mesh;
  maxBodyBytes: number;
  budget: SessionBudget;
  guard: Guard;
  /** Bound sessions may read other agents' history and ledger. */
  allowViews: boolean;
  /** Most bytes one stream may hold for its client before it is dropped. */
  maxQueuedBytes: number;
  meter: QueueMeter;
  /** Where session lines go (stderr). */
  log: (line: string) => void;
}

interface Session {
  readonly id: string;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  readonly server: MeshServer;
  /** Its GET stream, which carries the channel events of a bound session. */
  readonly carrier: StreamCarrier;
  readonly tenant: Tenant;
  readonly agent?: string;
  /** The body of the open GET stream, if any. */
  stream: BoundedBody | null;
  /** The bodies of POSTs still answering, by request id. */
  readonly answering: Map<RequestId, BoundedBody>;
  /** Responses still streaming (a waiting call, the GET stream). */
  open: number;
  lastSeen: number;
}

/** One line naming a session in the log. */
export function sessionLabel(transport: string, id: string, agent: string | undefined): string {
  return `session ${id.slice(0, 8)} (${transport}, ${
    agent !== undefined ? `agent ${agent}` : "no agent"
  })`;
}

function isEventStream(res: Response): boolean {
  return res.ok && res.body !== null &&
    res.headers.get("content-type")?.startsWith("text/event-stream") === true;
}

/** The ids of the requests in a POST body (one message or a batch). */
function requestIds(parsed: unknown): RequestId[] {
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.flatMap((m) =>
    typeof m?.method === "string" && (typeof m.id === "string" || typeof m.id === "number")
      ? [m.id as RequestId]
      : []
  );
}

/** The Streamable HTTP sessions of one server. */
export class StreamableSessions {
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly o: SessionsOptions) {}

  /** Number of open sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Answers one request to `/mcp` from the client at address `client`. */
  async handle(req: Request, client: string): Promise<Response> {
    const url = new URL(req.url);
    let bind: Binding | undefined;
    try {
      bind = requestBinding(req, url);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      return rpcError(400, RPC.server, `Bad Request: ${err.message}`);
    }
    const id = req.headers.get("mcp-session-id");
    if (id !== null) {
      const session = this.#sessions.get(id);
      const denied = this.o.guard.authorize(req, session ? session.agent : bind?.agent);
      if (denied) return denied;
      if (!session) return rpcError(404, RPC.sessionNotFound, "Session not found");
      return await this.#serve(session, req);
    }
    const denied = this.o.guard.authorize(req, bind?.agent);
    if (denied) return denied;
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
    const principal = principalOf(bind?.agent, client, this.o.budget.limits);
    const busy = this.o.budget.admit(principal);
    if (busy) return busy;
    return await this.#open(req, parsed, bind, principal);
  }

  async #open(
    req: Request,
    parsed: unknown,
    bind: Binding | undefined,
    principal: ReturnType<typeof principalOf>,
  ): Promise<Response> {
    const carrier = new StreamCarrier();
    const server = createServer({
      mesh: this.o.mesh,
      bind,
      carrier,
      allowViews: this.o.allowViews,
    });
    let session: Session | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      maxRequestBodySize: this.o.maxBodyBytes,
      onsessioninitialized: (id) => {
        const now = this.o.budget.now();
        const tenant: Tenant = {
          principal,
          opened: now,
          used: false,
          close: (why) => {
            this.o.log(`agent-mesh: ${sessionLabel("streamable-http", id, bind?.agent)} ${why}`);
            transport.close().catch(() => {});
          },
        };
        session = {
          id,
          transport,
          server,
          carrier,
          tenant,
          agent: bind?.agent,
          stream: null,
          answering: new Map(),
          open: 0,
          lastSeen: now,
        };
        this.#sessions.set(id, session);
        this.o.budget.add(tenant);
        this.o.log(`agent-mesh: ${sessionLabel("streamable-http", id, bind?.agent)} opened`);
      },
    });
    this.#awaitTaken(transport, () => session);
    transport.onclose = () => {
      if (session && this.#sessions.delete(session.id)) {
        this.o.budget.remove(session.tenant);
        this.o.log(
          `agent-mesh: ${sessionLabel("streamable-http", session.id, session.agent)} closed`,
        );
      }
      void server.cleanup();
    };
    await server.connect(transport);
    const res = await transport.handleRequest(req, { parsedBody: parsed });
    if (!session) {
      await transport.close(); // refused before a session began (bad headers, bad batch)
      return res;
    }
    session.lastSeen = this.o.budget.now();
    return res;
  }

  /**
   * Makes the transport's send resolve only once the client's connection took
   * the message: a listen acknowledges its message, and the channel an event,
   * only then; a stream dropped or gone first makes the send fail.
   */
  #awaitTaken(transport: Transport, session: () => Session | undefined): void {
    const send = transport.send.bind(transport);
    transport.send = async (message: JSONRPCMessage, options) => {
      const s = session();
      const isResponse = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
      const body = !s
        ? undefined
        : isResponse
        ? s.answering.get(message.id as RequestId)
        : options?.relatedRequestId === undefined
        ? s.stream
        : undefined;
      await send(message, options);
      if (!body) return;
      const taken = isResponse ? await body.finished() : await body.drained();
      if (!taken) throw new Error("The client's stream ended before it took this message");
    };
  }

  /** Answers a request of an open session. */
  async #serve(session: Session, req: Request): Promise<Response> {
    session.lastSeen = this.o.budget.now();
    if (req.method === "POST") return await this.#post(session, req);
    const res = await session.transport.handleRequest(req);
    if (req.method !== "GET" || !isEventStream(res)) return res;
    session.tenant.used = true;
    const ended = session.carrier.opened();
    const body = this.#body(session, () => {
      if (session.stream === body) session.stream = null;
      ended();
    });
    session.stream = body;
    body.pipeFrom(res.body!);
    return new Response(body.readable, { status: res.status, headers: res.headers });
  }

  async #post(session: Session, req: Request): Promise<Response> {
    const read = await readJsonBody(req, this.o.maxBodyBytes);
    if ("error" in read) return read.error;
    const parsed = read.value;
    const ids = requestIds(parsed);
    const list = Array.isArray(parsed) ? parsed : [parsed];
    if (list.some((m) => typeof m?.method === "string" && m.method !== "initialize" && "id" in m)) {
      session.tenant.used = true;
    }
    const taken = session.server.requests.reserve(ids);
    if (taken !== null) return json(duplicateError(taken), 409);
    // Known before the transport starts the calls: a quick one may answer at once.
    const body = this.#body(session, () => {
      for (const id of ids) if (session.answering.get(id) === body) session.answering.delete(id);
    });
    for (const id of ids) session.answering.set(id, body);
    let res: Response;
    try {
      res = await session.transport.handleRequest(req, { parsedBody: parsed });
    } finally {
      session.server.requests.release(ids);
    }
    if (!isEventStream(res)) {
      body.drop();
      return res;
    }
    body.pipeFrom(res.body!);
    return new Response(body.readable, { status: res.status, headers: res.headers });
  }

  /** A bounded body for `session`, counted as open while it streams. */
  #body(session: Session, onEnd: () => void): BoundedBody {
    session.open++;
    return new BoundedBody({
      maxQueuedBytes: this.o.maxQueuedBytes,
      meter: this.o.meter,
      onEnd: (how) => {
        session.open--;
        session.lastSeen = this.o.budget.now();
        if (how === "overflow") {
          this.o.log(
            `agent-mesh: ${
              sessionLabel("streamable-http", session.id, session.agent)
            }: stream dropped, its client read nothing (over ${this.o.maxQueuedBytes} bytes waiting)`,
          );
        }
        onEnd();
      },
    });
  }

  /** Closes sessions that nothing has used for the idle time (a client gone without DELETE). */
  sweep(): void {
    const now = this.o.budget.now();
    for (const s of this.#sessions.values()) {
      if (s.open === 0 && now - s.lastSeen > this.o.budget.limits.idleMs) {
        this.o.budget.remove(s.tenant);
        s.tenant.close(`closed: idle for ${Math.round(this.o.budget.limits.idleMs / 60_000)} min`);
      }
    }
  }

  /** Closes every session. */
  async close(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of all) this.o.budget.remove(s.tenant);
    await Promise.all(all.map((s) => s.server.cleanup()));
  }
}
