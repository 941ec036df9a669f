/**
 * `agent-mesh serve --http`: one Deno.serve port with `/mcp` (Streamable HTTP),
 * `/sse` + `/messages` (legacy HTTP+SSE) and `/health`. Logs go to stderr.
 */
import type { Mesh } from "../../lib/mesh/mesh.ts";
import { MeshError } from "../../lib/errors.ts";
import { AgentTokens } from "../../lib/tokens.ts";
import { VERSION } from "../../lib/version.ts";
import { logError } from "../context.ts";
import { QueueMeter, StreamDropped } from "./bounded.ts";
import { DEFAULT_LIMITS, SessionBudget, type SessionLimits } from "./budget.ts";
import { Guard } from "./guard.ts";
import { json, RPC, rpcError } from "./respond.ts";
import { SseSessions } from "./sse.ts";
import { StreamableSessions } from "./streamable.ts";
import { isAsset, serveAsset } from "../../lib/web/assets.ts";
import { createDashboardApi } from "../../lib/web/api.ts";

/** Most bytes one stream holds for a client that does not read before it is dropped. */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** How often unused and idle sessions are looked for. */
const SWEEP_MS = 10_000;

/** What a handler can be tuned with (tests shrink the limits and drive the clock). */
export interface HandlerOptions {
  /** Bound sessions may read other agents' history and ledger (`--allow-views`). */
  allowViews?: boolean;
  limits?: Partial<SessionLimits>;
  maxQueuedBytes?: number;
  /** The clock of session ages (default Date.now). */
  now?: () => number;
  /** Where session lines go (default stderr). */
  log?: (line: string) => void;
}

/** Options of the HTTP server. */
export interface HttpOptions extends HandlerOptions {
  hostname: string;
  port: number;
  /** When set, every endpoint but /health requires `Authorization: Bearer <token>`. */
  token?: string;
  /** Stops the server when aborted (the CLI aborts it on SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** Called once the server listens, with the port it got (useful with port 0). */
  onListen?: (addr: { hostname: string; port: number }) => void;
}

/** The request handler of one server, apart from Deno.serve (for tests and embedding). */
export function createHandler(mesh: Mesh, guard: Guard, o: HandlerOptions = {}) {
  // A message of maxBytes may grow up to 6x as escaped JSON.
  const maxBodyBytes = Math.max(4 * 1024 * 1024, mesh.config.maxBytes * 6 + 64 * 1024);
  const budget = new SessionBudget({ ...DEFAULT_LIMITS, ...o.limits }, o.now ?? Date.now);
  const meter = new QueueMeter();
  const shared = {
    mesh,
    maxBodyBytes,
    budget,
    guard,
    allowViews: o.allowViews === true,
    maxQueuedBytes: o.maxQueuedBytes ?? MAX_QUEUED_BYTES,
    meter,
    log: o.log ?? ((line: string) => console.error(line)),
  };
  const streamable = new StreamableSessions(shared);
  const sse = new SseSessions(shared);
  const dashboard = createDashboardApi(mesh);
  const sweep = () => {
    budget.sweep();
    streamable.sweep();
  };
  const sweeper = setInterval(sweep, SWEEP_MS);

  async function route(req: Request, client: string): Promise<Response> {
    const url = new URL(req.url);
    const foreign = guard.checkOrigin(req);
    if (foreign) return foreign;
    // The dashboard's page holds no data; its API needs what the server needs (the token).
    if (isAsset(url.pathname)) return serveAsset(req, url.pathname);
    if (url.pathname.startsWith("/api/")) {
      const denied = guard.authorize(req, undefined);
      if (denied) return denied;
      return await dashboard.handle(req, url);
    }
    switch (url.pathname) {
      case "/health": {
        // Started with --v8-flags=--expose-gc (benchmarks), the numbers exclude garbage.
        (globalThis as { gc?: () => void }).gc?.();
        const memory = Deno.memoryUsage();
        return json({
          ok: true,
          engine: mesh.store.engine,
          version: VERSION,
          sessions: { streamable: streamable.size, sse: sse.size },
          queued_bytes: meter.bytes,
          rss_bytes: memory.rss,
          heap_used_bytes: memory.heapUsed,
        });
      }
      case "/mcp":
        return await streamable.handle(req, client);
      case "/sse":
        if (req.method !== "GET") return notAllowed("GET");
        return await sse.open(req, url, client);
      case "/messages":
        if (req.method !== "POST") return notAllowed("POST");
        return await sse.post(req, url);
      default: {
        // Unknown paths answer 404 only to those who may use the server.
        const denied = guard.authorize(req, undefined);
        if (denied) return denied;
        return rpcError(404, RPC.server, `Not found: ${url.pathname} (try /mcp, /sse or /health)`);
      }
    }
  }

  return {
    /** Answers `req` from the client at address `client`. */
    async handle(req: Request, client = "unknown"): Promise<Response> {
      try {
        return await route(req, client);
      } catch (err) {
        logError("request failed", err);
        return rpcError(500, RPC.internalError, "Internal error");
      }
    },
    /** Closes the sessions opened and never used, and those idle too long (runs every 10 s). */
    sweep,
    /** Closes every session. */
    async close(): Promise<void> {
      clearInterval(sweeper);
      dashboard.close();
      await Promise.all([streamable.close(), sse.close()]);
    },
  };
}

function notAllowed(allow: string): Response {
  return rpcError(405, RPC.server, "Method not allowed", { allow });
}

/** A listening server: its port and handler, until `close`. */
export interface RunningHttp {
  port: number;
  handler: ReturnType<typeof createHandler>;
  /** Closes every session and stops listening. */
  close(): Promise<void>;
}

/** Starts listening; resolves once the server accepts connections. */
export async function startHttp(mesh: Mesh, o: Omit<HttpOptions, "signal">): Promise<RunningHttp> {
  let app: ReturnType<typeof createHandler> | null = null;
  const agentTokens = new AgentTokens(mesh.config.home);
  const ready = Promise.withResolvers<{ hostname: string; port: number }>();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: o.hostname,
      port: o.port,
      onListen: (addr) => {
        const guard = new Guard({
          hostname: o.hostname,
          port: addr.port,
          token: o.token,
          agentTokens,
        });
        app = createHandler(mesh, guard, o);
        ready.resolve(addr);
      },
      onError: (err) => {
        // A body dropped past its bound is logged where it is dropped.
        if (!(err instanceof StreamDropped)) logError("request failed", err);
        return rpcError(500, RPC.internalError, "Internal error");
      },
    }, async (req, info) => {
      await ready.promise;
      return await app!.handle(req, info.remoteAddr.hostname);
    });
  } catch (err) {
    throw new MeshError(`Cannot listen on ${o.hostname}:${o.port}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const addr = await ready.promise;
  o.onListen?.({ hostname: addr.hostname, port: addr.port });
  if (agentTokens.on()) {
    (o.log ?? console.error)(
      "agent-mesh: agent tokens are on: a session opened as an agent needs that agent's token",
    );
  }
  return {
    port: addr.port,
    handler: app!,
    async close() {
      await app!.close();
      await server.shutdown();
    },
  };
}

/** Serves until `o.signal` aborts, then closes every session. */
export async function serveHttp(mesh: Mesh, o: HttpOptions): Promise<void> {
  const running = await startHttp(mesh, o);
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    o.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await running.close();
}
