/**
 * `agent-mesh serve` over stdio: one session on stdin/stdout. stdout carries the
 * protocol and nothing else, so every console output is sent to stderr.
 */
import type { Mesh } from "../lib/mesh/mesh.ts";
import type { Binding } from "./channel.ts";
import { DEFAULT_MAX_LINE_BYTES, LineTransport } from "./line_transport.ts";
import { createServer } from "./server.ts";

/** Options of a stdio session. */
export interface StdioOptions {
  /** The agent the session is (`serve --as NAME`). */
  bind?: Binding;
  /** Let the bound session read other agents' history and ledger (`--allow-views`). */
  allowViews?: boolean;
  /** Input and output (default: this process's stdin and stdout). */
  input?: ReadableStream<Uint8Array>;
  output?: WritableStream<Uint8Array>;
}

/** Longest stdio line: 10 MiB, or more when AGENT_MESH_MAX_BYTES needs it (escaped JSON). */
export function maxLineBytes(mesh: Mesh): number {
  return Math.max(DEFAULT_MAX_LINE_BYTES, mesh.config.maxBytes * 6 + 64 * 1024);
}

/**
 * Serves one MCP session on stdio until the client closes stdin or a signal stops
 * it; with `bind`, as that agent (its messages pushed, deregistered at the end).
 */
export async function serveStdio(mesh: Mesh, o: StdioOptions = {}): Promise<void> {
  // A stray console.log anywhere would corrupt the protocol stream.
  console.log = console.info = console.debug = console.error;
  const { connect, cleanup } = createServer({ mesh, bind: o.bind, allowViews: o.allowViews });
  const transport = new LineTransport(
    o.input ?? Deno.stdin.readable,
    o.output ?? Deno.stdout.writable,
    {
      maxLineBytes: maxLineBytes(mesh),
    },
  );
  const closed = new Promise<void>((resolve) => transport.onclose = resolve);
  await connect(transport);
  // Someone who started it by hand sees why nothing happens.
  console.error(
    `agent-mesh: MCP server on stdio (${mesh.store.engine} engine${
      o.bind ? `, agent ${o.bind.agent}` : ""
    }): waiting for a client on stdin (Ctrl-C stops it)`,
  );
  const stop = () => void cleanup();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    await closed;
    await cleanup();
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
}
