import { parse, str } from "./_args.ts";
import { interruptSignal } from "./_mesh.ts";
import { loadConfig } from "../lib/config.ts";
import { UsageError } from "../lib/errors.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { checkName } from "../lib/names.ts";
import { openStore } from "../lib/store/open.ts";
import type { Binding } from "../mcp/channel.ts";
import { isLoopback } from "../mcp/http/guard.ts";

/** Default port of `serve --http` (the original's). */
export const DEFAULT_PORT = 8765;
const ROLE_MAX = 200;

function port(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PORT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) {
    throw new UsageError(`Invalid --port "${raw}": expected a whole number from 0 to 65535`);
  }
  return n;
}

/** The agent of `serve --as NAME [--role TEXT] [--group]` (or AGENT_MESH_AGENT), checked. */
function binding(values: Record<string, string | boolean | undefined>): Binding | undefined {
  const flag = str(values.as);
  const agent = flag ?? (Deno.env.get("AGENT_MESH_AGENT") || undefined);
  const role = str(values.role);
  if (agent === undefined) {
    if (role !== undefined || values.group) {
      throw new UsageError('--role and --group go with --as NAME (see "agent-mesh help serve")');
    }
    return undefined;
  }
  checkName(agent, flag !== undefined ? "--as name" : "AGENT_MESH_AGENT name");
  if (role !== undefined && role.length > ROLE_MAX) {
    throw new UsageError(`Invalid --role: use text of at most ${ROLE_MAX} characters`);
  }
  return { agent, role, group: values.group === true };
}

/** `agent-mesh serve [--as NAME [--role TEXT] [--group]] | [--http [--port N] [--host ADDR] [--insecure]] [--allow-views]` */
export async function run(argv: string[]): Promise<number> {
  const { values } = parse("serve", argv, {
    http: { type: "boolean" },
    port: { type: "string" },
    host: { type: "string" },
    insecure: { type: "boolean" },
    as: { type: "string" },
    role: { type: "string" },
    group: { type: "boolean" },
    "allow-views": { type: "boolean" },
  }, []);
  const allowViews = values["allow-views"] === true;
  const http = values.http === true;
  if (!http && (values.port !== undefined || values.host !== undefined || values.insecure)) {
    throw new UsageError(
      '--port, --host and --insecure go with --http (see "agent-mesh help serve")',
    );
  }
  if (http && (values.as !== undefined || values.role !== undefined || values.group)) {
    throw new UsageError(
      "--as, --role and --group go with stdio; over HTTP each session names its agent with /mcp?as=NAME",
    );
  }
  // Over HTTP, AGENT_MESH_AGENT is ignored: one server serves many agents.
  const bind = http ? undefined : binding(values);
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
      await serveStdio(mesh, { bind, allowViews });
      return 0;
    }
    const { serveHttp } = await import("../mcp/http/serve.ts");
    const interrupt = interruptSignal();
    try {
      await serveHttp(mesh, {
        hostname,
        port: listenPort,
        token,
        allowViews,
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
