/**
 * `/sse` + `/messages`: the legacy HTTP+SSE transport (MCP 2024-11-05), kept
 * because the original tool's config points at `/sse`. It uses the SDK's
 * SSEServerTransport, which writes to a node ServerResponse: `SseResponse` gives
 * it the four methods it calls, over a bounded body that Deno.serve sends. POSTs
 * are parsed here and handed to the transport's `handleMessage`.
 */
import type { ServerResponse } from "node:http";
import { UsageError } from "../../lib/errors.ts";
import type { Binding } from "../channel.ts";
import { createServer, type MeshServer } from "../server.ts";
import type { Transport } from "../sdk.ts";
import { requestBinding } from "./binding.ts";
import { BoundedBody } from "./bounded.ts";
import { principalOf, type Tenant } from "./budget.ts";
import { SSEServerTransport } from "./sdk_http.ts";
import { readJsonBody, RPC, rpcError } from "./respond.ts";
import { sessionLabel, type SessionsOptions } from "./streamable.ts";

/** Interval of the comment lines that keep idle SSE connections open through proxies. */
const KEEP_ALIVE_MS = 15_000;

/** What SSEServerTransport uses of node's ServerResponse, over a BoundedBody. */
class SseResponse {
  status = 200;
  headers: Record<string, string> = {};
  readonly body: BoundedBody;
  #encoder = new TextEncoder();
  #onClose: (() => void)[] = [];
  #keepAlive: ReturnType<typeof setInterval>;

  constructor(o: Pick<SessionsOptions, "maxQueuedBytes" | "meter">, onOverflow: () => void) {
    this.body = new BoundedBody({
      ...o,
      onEnd: (how) => {
        clearInterval(this.#keepAlive);
        if (how === "overflow") onOverflow();
        if (how !== "done") { for (const listener of this.#onClose) listener(); }
      },
    });
    this.#keepAlive = setInterval(() => {
      // Nothing to keep alive while the client has not read what is there.
      if (this.body.ended === null && this.body.queuedBytes === 0) this.write(": keepalive\n\n");
    }, KEEP_ALIVE_MS);
  }

  writeHead(status: number, headers: Record<string, string> = {}): this {
    this.status = status;
    Object.assign(this.headers, headers);
    return this;
  }

  /** Queues `chunk`; throws once the stream is over, so a send to a gone client fails. */
  write(chunk: string): boolean {
    if (!this.body.push(this.#encoder.encode(chunk))) throw new Error("The SSE stream is closed");
    return true;
  }

  end(): this {
    clearInterval(this.#keepAlive);
    this.body.close();
    return this;
  }

  /** Only "close" (the client went away, or the stream was dropped) is ever emitted. */
  on(event: string, listener: () => void): this {
    if (event === "close") this.#onClose.push(listener);
    return this;
  }
}

interface Session {
  readonly id: string;
  readonly transport: SSEServerTransport;
  readonly server: MeshServer;
  readonly tenant: Tenant;
  readonly agent?: string;
}

/**
 * Makes a send resolve only once the client's connection took the message (a
 * listen acknowledges its message only then), and fail when the stream ended first.
 */
function awaitTaken(transport: Transport, body: BoundedBody): void {
  const send = transport.send.bind(transport);
  transport.send = async (message, options) => {
    await send(message, options);
    if (!(await body.drained())) {
      throw new Error("The client's stream ended before it took this message");
    }
  };
}

/** The legacy SSE sessions of one server. */
export class SseSessions {
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly o: SessionsOptions) {}

  /** Number of open sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * `GET /sse`: opens a session (bound to an agent with `?as=NAME`, its events on
   * this stream); its first event names the URL to POST to.
   */
  async open(req: Request, url: URL, client: string): Promise<Response> {
    let bind: Binding | undefined;
    try {
      bind = requestBinding(req, url);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      return rpcError(400, RPC.server, `Bad Request: ${err.message}`);
    }
    const denied = this.o.guard.authorize(req, bind?.agent);
    if (denied) return denied;
    const principal = principalOf(bind?.agent, client, this.o.budget.limits);
    const busy = this.o.budget.admit(principal);
    if (busy) return busy;
    let id = "";
    const label = () => sessionLabel("sse", id, bind?.agent);
    const res = new SseResponse(
      this.o,
      () =>
        this.o.log(
          `agent-mesh: ${label()}: stream dropped, its client read nothing (over ${this.o.maxQueuedBytes} bytes waiting)`,
        ),
    );
    const transport = new SSEServerTransport("/messages", res as unknown as ServerResponse);
    id = transport.sessionId;
    awaitTaken(transport, res.body);
    const server = createServer({ mesh: this.o.mesh, bind, allowViews: this.o.allowViews });
    const tenant: Tenant = {
      principal,
      opened: this.o.budget.now(),
      // Its stream is open from the start, and a client gone ends it: never reaped as unused.
      used: true,
      close: (why) => {
        this.o.log(`agent-mesh: ${label()} ${why}`);
        transport.close().catch(() => {});
      },
    };
    const session: Session = { id, transport, server, tenant, agent: bind?.agent };
    transport.onclose = () => {
      if (this.#sessions.delete(id)) {
        this.o.budget.remove(tenant);
        this.o.log(`agent-mesh: ${label()} closed`);
      }
      void server.cleanup();
    };
    this.#sessions.set(id, session);
    this.o.budget.add(tenant);
    this.o.log(`agent-mesh: ${label()} opened`);
    await server.connect(transport); // writes the endpoint event
    return new Response(res.body.readable, { status: res.status, headers: res.headers });
  }

  /** `POST /messages?sessionId=...`: one JSON-RPC message for a session. */
  async post(req: Request, url: URL): Promise<Response> {
    const session = this.#sessions.get(url.searchParams.get("sessionId") ?? "");
    const denied = this.o.guard.authorize(req, session?.agent);
    if (denied) return denied;
    if (!session) return rpcError(404, RPC.sessionNotFound, "Session not found");
    const type = req.headers.get("content-type")?.split(";")[0].trim().toLowerCase();
    if (type !== "application/json") {
      return rpcError(
        415,
        RPC.server,
        "Unsupported Media Type: Content-Type must be application/json",
      );
    }
    const body = await readJsonBody(req, this.o.maxBodyBytes);
    if ("error" in body) return body.error;
    const parsed = body.value;
    try {
      await session.transport.handleMessage(parsed, {
        requestInfo: { headers: Object.fromEntries(req.headers), url },
      });
    } catch {
      return rpcError(400, RPC.parseError, "Parse error: Invalid JSON-RPC message");
    }
    return new Response("Accepted", { status: 202 });
  }

  /** Closes every session. */
  async close(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of all) this.o.budget.remove(s.tenant);
    await Promise.all(all.map((s) => s.server.cleanup()));
  }
}
