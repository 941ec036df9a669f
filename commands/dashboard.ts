import { UsageError } from "../lib/errors.ts";
import { defineCommand } from "./_cli/define.ts";
import { obj, str } from "./_cli/shape.ts";

/** `agent-mesh dashboard`: the web view of the mesh. */
export default defineCommand({
  name: "dashboard",
  summary: "serve the web dashboard on this machine and print its URL",
  flags: {
    port: {
      type: "number",
      value: "PORT",
      integer: true,
      min: 0,
      max: 65535,
      default: 0,
      help: "HTTP port (default 0: a free one)",
    },
    host: {
      type: "string",
      value: "ADDRESS",
      default: "127.0.0.1",
      help: "address to bind (default: 127.0.0.1, this machine only)",
    },
    insecure: { type: "boolean", help: "allow a non-loopback --host without AGENT_MESH_TOKEN" },
  },
  shutdownOnSignal: true,
  output: obj({ url: str }),
  description: "The same server as serve --http, whose / is the dashboard. With\n" +
    "AGENT_MESH_TOKEN set the page asks for it. Ctrl-C stops.",
  async run(ctx) {
    const { host: hostname, port, insecure } = ctx.flags;
    const token = Deno.env.get("AGENT_MESH_TOKEN") || undefined;
    const lib = await ctx.lib();
    if (!insecure && !token && !(await lib.loadGuard()).isLoopback(hostname)) {
      throw new UsageError(
        `Refusing to serve on ${hostname} without AGENT_MESH_TOKEN: anyone who can reach it could read and send messages (set the token, or pass --insecure)`,
      );
    }
    const mesh = await ctx.mesh();
    const { serveHttp } = await lib.loadHttp();
    await serveHttp(mesh, {
      hostname,
      port,
      token,
      signal: ctx.signal,
      onListen: (addr) => {
        const shown = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
        const url = `http://${shown}:${addr.port}/`;
        ctx.emit({ url }, url);
        ctx.note(
          `dashboard on the ${mesh.store.engine} engine${
            token ? " (enter AGENT_MESH_TOKEN in the page)" : ""
          }; Ctrl-C stops`,
        );
      },
    });
    return 0;
  },
});
