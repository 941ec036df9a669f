import { parse, str } from "./_args.ts";
import { interruptSignal } from "./_mesh.ts";
import { loadConfig } from "../lib/config.ts";
import { UsageError } from "../lib/errors.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { openStore } from "../lib/store/open.ts";
import { isLoopback } from "../mcp/http/guard.ts";

/** Default port of `serve --http` (the original's). */
export const DEFAULT_PORT = 8765;

function port(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PORT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) {
    throw new UsageError(`Invalid --port "${raw}": expected a whole number from 0 to 65535`);
  }
  return n;
}

/** `agent-mesh serve [--http [--port N] [--host ADDR] [--insecure]]` */
export async function run(argv: string[]): Promise<number> {
  const { values } = parse("serve", argv, {
    http: { type: "boolean" },
    port: { type: "string" },
    host: { type: "string" },
    insecure: { type: "boolean" },
  }, []);
  const http = values.http === true;
  if (!http && (values.port !== undefined || values.host !== undefined || values.insecure)) {
    throw new UsageError(
      '--port, --host and --insecure go with --http (see "agent-mesh help serve")',
    );
  }
  const config = loadConfig();
  const hostname = str(values.host) ?? "127.0.0.1";
  const listenPort = port(str(values.port));
  const token = Deno.env.get("AGENT_MESH_TOKEN") || undefined;
  if (http && !isLoopback(hostname) && !token && values.insecure !== true) {
    throw new UsageError(
      `Refusing to serve on ${hostname} without AGENT_MESH_TOKEN: anyone who can reach it could read and send messages (set the token, or pass --insecure)`,
    );
  }
  const store = await openStore(config);
  const mesh = new Mesh(store, config);
  try {
    if (!http) {
      const { serveStdio } = await import("../mcp/stdio.ts");
      await serveStdio(mesh);
      return 0;
    }
    const { serveHttp } = await import("../mcp/http/serve.ts");
    const interrupt = interruptSignal();
    try {
      await serveHttp(mesh, {
        hostname,
        port: listenPort,
        token,
        signal: interrupt.signal,
        onListen: (addr) => {
          const shown = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
          console.error(
            `agent-mesh: MCP server on http://${shown}:${addr.port} (/mcp, /sse, /health), ` +
              `${store.engine} engine${token ? ", token required" : ""}`,
          );
        },
      });
    } finally {
      interrupt.dispose();
    }
    return 0;
  } finally {
    await store.close();
  }
}
