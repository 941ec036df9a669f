/**
 * `/sse` + `/messages`: the legacy HTTP+SSE transport (MCP 2024-11-05), kept
 * because the original tool's config points at `/sse`. It uses the SDK's
 * SSEServerTransport, which writes to a node ServerResponse: `SseResponse` gives
 * it the four methods it calls, over a web stream that Deno.serve sends. POSTs
 * are parsed here and handed to the transport's `handleMessage`.
 */
import type { ServerResponse } from "node:http";
import { UsageError } from "../../lib/errors.ts";
import type { Mesh } from "../../lib/mesh/mesh.ts";
import type { Binding } from "../channel.ts";
import { createServer, type MeshServer } from "../server.ts";
import { requestBinding } from "./binding.ts";
import { SSEServerTransport } from "./sdk_http.ts";
import { readJsonBody, RPC, rpcError } from "./respond.ts";

/** Interval of the comment lines that keep idle SSE connections open through proxies. */
const KEEP_ALIVE_MS = 15_000;

/** What SSEServerTransport uses of node's ServerResponse, over a ReadableStream. */
class SseResponse {
  status = 200;
  headers: Record<string, string> = {};
  readonly body: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #encoder = new TextEncoder();
  #closed = false;
  #onClose: (() => void)[] = [];
  #keepAlive: ReturnType<typeof setInterval>;

  constructor() {
    this.body = new ReadableStream({
      start: (c) => void (this.#controller = c),
      cancel: () => this.#gone(),
    });
    this.#keepAlive = setInterval(() => {
      if (!this.#closed) this.write(": keepalive\n\n");
    }, KEEP_ALIVE_MS);
  }

  writeHead(status: number, headers: Record<string, string> = {}): this {
    this.status = status;
    Object.assign(this.headers, headers);
    return this;
  }

  /** Queues `chunk`; throws once the stream is closed, so a send to a gone client fails. */
  write(chunk: string): boolean {
    if (this.#closed) throw new Error("The SSE stream is closed");
    this.#controller.enqueue(this.#encoder.encode(chunk));
    return true;
  }

  end(): this {
    if (!this.#closed) {
      this.#closed = true;
      clearInterval(this.#keepAlive);
      this.#controller.close();
    }
    return this;
  }

  /** Only "close" (the client went away) is ever emitted. */
  on(event: string, listener: () => void): this {
    if (event === "close") this.#onClose.push(listener);
    return this;
  }

  #gone(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    for (const listener of this.#onClose) listener();
  }
}

interface Session {
  transport: SSEServerTransport;
  mesh: MeshServer;
}

/** The legacy SSE sessions of one server. */
export class SseSessions {
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly o: { mesh: Mesh; maxBodyBytes: number; maxSessions: number }) {}

  /** Number of open sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * `GET /sse`: opens a session (bound to an agent with `?as=NAME`, its events on
   * this stream); its first event names the URL to POST to.
   */
  async open(req: Request, url: URL): Promise<Response> {
    let bind: Binding | undefined;
    try {
      bind = requestBinding(req, url);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      return rpcError(400, RPC.server, `Bad Request: ${err.message}`);
    }
    if (this.#sessions.size >= this.o.maxSessions) {
      return rpcError(503, RPC.server, `Too many sessions (at most ${this.o.maxSessions})`);
    }
    const res = new SseResponse();
    const transport = new SSEServerTransport("/messages", res as unknown as ServerResponse);
    const mesh = createServer({ mesh: this.o.mesh, bind });
    const id = transport.sessionId;
    transport.onclose = () => {
      this.#sessions.delete(id);
      void mesh.cleanup();
    };
    this.#sessions.set(id, { transport, mesh });
    await mesh.connect(transport); // writes the endpoint event
    return new Response(res.body, { status: res.status, headers: res.headers });
  }

  /** `POST /messages?sessionId=...`: one JSON-RPC message for a session. */
  async post(req: Request, url: URL): Promise<Response> {
    const session = this.#sessions.get(url.searchParams.get("sessionId") ?? "");
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
    await Promise.all(all.map((s) => s.mesh.cleanup()));
  }
}
