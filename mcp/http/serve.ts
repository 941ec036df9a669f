/**
 * `agent-mesh serve --http`: one Deno.serve port with `/mcp` (Streamable HTTP),
 * `/sse` + `/messages` (legacy HTTP+SSE) and `/health`. Logs go to stderr.
 */
import type { Mesh } from "../../lib/mesh/mesh.ts";
import { MeshError } from "../../lib/errors.ts";
import { VERSION } from "../../lib/version.ts";
import { logError } from "../context.ts";
import { Guard } from "./guard.ts";
import { json, RPC, rpcError } from "./respond.ts";
import { SseSessions } from "./sse.ts";
import { StreamableSessions } from "./streamable.ts";
import { isAsset, serveAsset } from "../../lib/web/assets.ts";
import { createDashboardApi } from "../../lib/web/api.ts";

/** Most sessions (of both kinds together) one server holds. */
export const MAX_SESSIONS = 1000;

/** Options of the HTTP server. */
export interface HttpOptions {
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
export function createHandler(mesh: Mesh, guard: Guard) {
  // A message of maxBytes may grow up to 6x as escaped JSON.
  const maxBodyBytes = Math.max(4 * 1024 * 1024, mesh.config.maxBytes * 6 + 64 * 1024);
  const limits = { mesh, maxBodyBytes, maxSessions: MAX_SESSIONS };
  const streamable = new StreamableSessions(limits);
  const sse = new SseSessions(limits);
  const dashboard = createDashboardApi(mesh);

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const foreign = guard.checkOrigin(req);
    if (foreign) return foreign;
    if (url.pathname === "/health") {
      // Started with --v8-flags=--expose-gc (benchmarks), the numbers exclude garbage.
      (globalThis as { gc?: () => void }).gc?.();
      const memory = Deno.memoryUsage();
      return json({
        ok: true,
        engine: mesh.store.engine,
        version: VERSION,
        sessions: { streamable: streamable.size, sse: sse.size },
        rss_bytes: memory.rss,
        heap_used_bytes: memory.heapUsed,
      });
    }
    if (isAsset(url.pathname)) return serveAsset(req, url.pathname); // the dashboard page: no data
    const unauthorized = await guard.checkToken(req);
    if (unauthorized) return unauthorized;
    if (url.pathname.startsWith("/api/")) return await dashboard.handle(req, url);
    switch (url.pathname) {
      case "/mcp":
        return await streamable.handle(req);
      case "/sse":
        if (req.method !== "GET") return notAllowed("GET");
        return await sse.open(req, url);
      case "/messages":
        if (req.method !== "POST") return notAllowed("POST");
        return await sse.post(req, url);
      default:
        return rpcError(404, RPC.server, `Not found: ${url.pathname} (try /mcp, /sse or /health)`);
    }
  }

  return {
    async handle(req: Request): Promise<Response> {
      try {
        return await route(req);
      } catch (err) {
        logError("request failed", err);
        return rpcError(500, RPC.internalError, "Internal error");
      }
    },
    /** Closes every session. */
    async close(): Promise<void> {
      dashboard.close();
      await Promise.all([streamable.close(), sse.close()]);
    },
  };
}

function notAllowed(allow: string): Response {
  return rpcError(405, RPC.server, "Method not allowed", { allow });
}

/** Serves until `o.signal` aborts, then closes every session. */
export async function serveHttp(mesh: Mesh, o: HttpOptions): Promise<void> {
  let app: ReturnType<typeof createHandler> | null = null;
  const ready = Promise.withResolvers<void>();
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: o.hostname,
      port: o.port,
      onListen: (addr) => {
        const guard = new Guard({ hostname: o.hostname, port: addr.port, token: o.token });
        app = createHandler(mesh, guard);
        ready.resolve();
        o.onListen?.({ hostname: addr.hostname, port: addr.port });
      },
      onError: (err) => {
        logError("request failed", err);
        return rpcError(500, RPC.internalError, "Internal error");
      },
    }, async (req) => {
      await ready.promise;
      return await app!.handle(req);
    });
  } catch (err) {
    throw new MeshError(`Cannot listen on ${o.hostname}:${o.port}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  await ready.promise;
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    o.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await app!.close();
  await server.shutdown();
}
