/**
 * The dashboard's HTTP API under `/api/`: JSON reads, one write (`POST
 * /api/send`) and a live stream of events. The caller (the HTTP front) has
 * checked Host, Origin and the token already; writes here also require an
 * Origin header and a JSON body, so that no plain form of another site can post.
 */
import { isUserError, UsageError } from "../errors.ts";
import type { Mesh } from "../mesh/mesh.ts";
import { checkName } from "../names.ts";
import { agentRows, gatePairs, obligations, trafficRows } from "./data.ts";
import { liveStream } from "./live.ts";

/** Most traffic rows one request returns. */
const MAX_ROWS = 500;

function json(doc: unknown, status = 200): Response {
  return new Response(JSON.stringify(doc), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

function error(status: number, message: string): Response {
  return json({ error: message }, status);
}

async function readBody(req: Request, maxBytes: number): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/i.test(req.headers.get("content-type") ?? "")) {
    throw new UsageError("Expected a JSON body (content-type: application/json)");
  }
  const text = await req.text();
  if (new TextEncoder().encode(text).length > maxBytes) {
    throw new UsageError(`Body too large: over ${maxBytes} bytes`);
  }
  try {
    const v = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
  } catch { /* below */ }
  throw new UsageError("Invalid JSON body: expected an object");
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw new UsageError(`Invalid "${what}": expected text`);
  return v;
}

/** The dashboard API of one server. */
export function createDashboardApi(mesh: Mesh) {
  const closing = new AbortController();

  async function send(req: Request): Promise<Response> {
    if (!req.headers.get("origin")) {
      return error(403, "Forbidden: a write needs the Origin header of this server");
    }
    const body = await readBody(req, mesh.config.maxBytes * 6 + 4096);
    const from = checkName(str(body.from, "from"), "sender name");
    const to = str(body.to, "to");
    const text = str(body.text, "text");
    const result = to === "*"
      ? await mesh.broadcast({ from, text })
      : await mesh.send({ from, to, text });
    return json(result);
  }

  async function route(req: Request, url: URL): Promise<Response> {
    const get = req.method === "GET";
    switch (url.pathname) {
      case "/api/overview":
        if (!get) break;
        return json({
          engine: mesh.store.engine,
          agents: await agentRows(mesh),
          obligations: await obligations(mesh),
          gate: await gatePairs(mesh),
          now: Date.now() / 1000,
        });
      case "/api/traffic": {
        if (!get) break;
        const agent = url.searchParams.get("agent") || undefined;
        if (agent !== undefined) checkName(agent);
        const limit = Math.min(Number(url.searchParams.get("limit")) || 200, MAX_ROWS);
        const q = url.searchParams.get("q") || undefined;
        return json({ messages: await trafficRows(mesh, { agent, q, limit }) });
      }
      case "/api/live":
        if (!get) break;
        return liveStream(mesh, closing.signal);
      case "/api/send":
        if (req.method !== "POST") break;
        return await send(req);
      default:
        return error(404, `Not found: ${url.pathname}`);
    }
    return error(405, "Method not allowed");
  }

  return {
    /** Answers one `/api/...` request. */
    async handle(req: Request, url: URL): Promise<Response> {
      try {
        return await route(req, url);
      } catch (err) {
        if (isUserError(err)) {
          return error((err as { exitCode: number }).exitCode === 2 ? 400 : 409, err.message);
        }
        throw err;
      }
    },
    /** Ends every live stream. */
    close(): void {
      closing.abort();
    },
  };
}
