/**
 * `agent-mesh serve` over stdio: one session on stdin/stdout. stdout carries the
 * protocol and nothing else, so every console output is sent to stderr.
 */
import process from "node:process";
import type { Mesh } from "../lib/mesh/mesh.ts";
import type { Binding } from "./channel.ts";
import { StdioServerTransport } from "./sdk.ts";
import { createServer } from "./server.ts";

/**
 * Serves one MCP session on stdio until the client closes stdin or a signal stops
 * it; with `bind`, as that agent (its messages pushed, deregistered at the end).
 */
export async function serveStdio(mesh: Mesh, bind?: Binding): Promise<void> {
  // A stray console.log anywhere would corrupt the protocol stream.
  console.log = console.info = console.debug = console.error;
  const { connect, cleanup } = createServer({ mesh, bind });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => transport.onclose = resolve);
  await connect(transport);
  const stop = () => void cleanup();
  process.stdin.once("end", stop);
  process.stdin.once("close", stop);
  process.stdout.once("error", stop); // the client went away mid-write
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    await closed;
    await cleanup();
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
}
