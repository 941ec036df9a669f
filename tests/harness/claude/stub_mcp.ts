/**
 * A tiny stdio MCP server for measuring what Claude Code does with a server:
 * `deno run -A stub_mcp.ts LOG` appends one JSON line to LOG per event (spawn, each message
 * received, signals, end of stdin). It offers one tool, `ping`, answering "pong".
 * STUB_TOOLS_DELAY_MS delays its tools/list answer.
 */
const log = Deno.args[0];
const encoder = new TextEncoder();
const record = (entry: Record<string, unknown>) =>
  Deno.writeTextFileSync(log, JSON.stringify({ t: Date.now(), pid: Deno.pid, ...entry }) + "\n", {
    append: true,
  });
const send = (message: unknown) =>
  Deno.stdout.writeSync(
    encoder.encode(JSON.stringify({ jsonrpc: "2.0", ...message as object }) + "\n"),
  );

const parent = (() => {
  try {
    return Deno.readTextFileSync(`/proc/${Deno.ppid}/cmdline`).split("\0").join(" ").trim();
  } catch {
    return null;
  }
})();
record({ kind: "spawn", ppid: Deno.ppid, parent });
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  Deno.addSignalListener(sig, () => {
    record({ kind: "signal", sig });
    Deno.exit(0);
  });
}
const delay = Number(Deno.env.get("STUB_TOOLS_DELAY_MS") ?? 0);
let buffer = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buffer += chunk;
  let i;
  while ((i = buffer.indexOf("\n")) >= 0) {
    const line = buffer.slice(0, i).trim();
    buffer = buffer.slice(i + 1);
    if (!line) continue;
    const m = JSON.parse(line);
    record({ kind: "message", method: m.method, id: m.id, params: m.params });
    if (m.method === "initialize") {
      send({
        id: m.id,
        result: {
          protocolVersion: m.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "stub", version: "0.0.1" },
        },
      });
    } else if (m.method === "tools/list") {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      const ping = {
        name: "ping",
        description: "Answers pong",
        inputSchema: { type: "object", properties: {} },
      };
      send({ id: m.id, result: { tools: [ping] } });
    } else if (m.method === "tools/call") {
      send({ id: m.id, result: { content: [{ type: "text", text: "pong" }] } });
    } else if (m.id !== undefined) send({ id: m.id, result: {} });
  }
}
record({ kind: "stdin-closed" });
