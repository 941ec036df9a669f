import { parse, str } from "./_args.ts";
import { interruptSignal } from "./_mesh.ts";
import { loadConfig } from "../lib/config.ts";
import { UsageError } from "../lib/errors.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { openStore } from "../lib/store/open.ts";
import { isLoopback } from "../mcp/http/guard.ts";

function port(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) {
    throw new UsageError(`Invalid --port "${raw}": expected a whole number from 0 to 65535`);
  }
  return n;
}

/** `agent-mesh dashboard [--port PORT] [--host ADDRESS] [--insecure]` */
export async function run(argv: string[]): Promise<number> {
  const { values } = parse("dashboard", argv, {
    port: { type: "string" },
    host: { type: "string" },
    insecure: { type: "boolean" },
  }, []);
  const hostname = str(values.host) ?? "127.0.0.1";
  const listenPort = port(str(values.port));
  const token = Deno.env.get("AGENT_MESH_TOKEN") || undefined;
  if (!isLoopback(hostname) && !token && values.insecure !== true) {
    throw new UsageError(
      `Refusing to serve on ${hostname} without AGENT_MESH_TOKEN: anyone who can reach it could read and send messages (set the token, or pass --insecure)`,
    );
  }
  const config = loadConfig();
  const store = await openStore(config);
  const { serveHttp } = await import("../mcp/http/serve.ts");
  const interrupt = interruptSignal();
  try {
    await serveHttp(new Mesh(store, config), {
      hostname,
      port: listenPort,
      token,
      signal: interrupt.signal,
      onListen: (addr) => {
        const shown = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
        console.log(`http://${shown}:${addr.port}/`);
        console.error(
          `agent-mesh: dashboard on the ${store.engine} engine${
            token ? " (enter AGENT_MESH_TOKEN in the page)" : ""
          }; Ctrl-C stops`,
        );
      },
    });
  } finally {
    interrupt.dispose();
    await store.close();
  }
  return 0;
}
