/**
 * Test helpers for the MCP server: a private mesh per test (engine + temp home),
 * the real server spawned over stdio or HTTP, SDK clients on each transport, and
 * the CLI. Everything is disposable (`await using`) and every wait is bounded.
 */
import type { EngineCase, OpenedStore } from "./store_engines.ts";
import { withDeadline } from "./timing.ts";
import { ChannelEvents } from "./mcp_channel.ts";
import {
  type CallToolResult,
  Client,
  SSEClientTransport,
  StdioClientTransport,
  StreamableHTTPClientTransport,
} from "./mcp_sdk.ts";

/** Absolute path of main.ts. */
export { MAIN, runCli } from "./cli.ts";
import { MAIN } from "./cli.ts";

/** A private mesh for one test. */
export interface TestMesh extends AsyncDisposable {
  /** Environment selecting this mesh (engine, prefix, home), for spawned processes. */
  readonly env: Record<string, string>;
  readonly opened: OpenedStore;
}

/** Opens a fresh mesh on `engine` with its own AGENT_MESH_HOME; `extra` is added to its env. */
export async function openTestMesh(
  engine: EngineCase,
  extra: Record<string, string> = {},
): Promise<TestMesh> {
  const opened = await engine.open();
  const home = await Deno.makeTempDir({ prefix: "agent-mesh-mcp-" });
  const env = {
    AGENT_MESH_TOKEN: "",
    AGENT_MESH_GATE_ENFORCE: "0",
    AGENT_MESH_AGENT: "", // a session is bound to an agent only when a test says so
    ...opened.env,
    AGENT_MESH_HOME: home,
    ...extra,
  };
  return {
    env,
    opened,
    async [Symbol.asyncDispose]() {
      try {
        await opened[Symbol.asyncDispose]();
      } finally {
        await Deno.remove(home, { recursive: true }).catch(() => {});
      }
    },
  };
}

/** A spawned `serve --http` process. */
export interface HttpServer extends AsyncDisposable {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** What the server wrote on stderr so far. */
  stderr(): string;
  /** Stops it (SIGTERM, then SIGKILL after 10 s) and returns its exit code. */
  stop(): Promise<number>;
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  into: { text: string },
  onChunk = () => {},
) {
  const dec = new TextDecoder();
  try {
    for await (const chunk of stream) {
      into.text += dec.decode(chunk, { stream: true });
      onChunk();
    }
  } catch { /* the process went away */ }
}

/** The line `serve --http` prints on stderr once it listens, with the port it got. */
const LISTENING = /^agent-mesh: MCP server on http:\/\/127\.0\.0\.1:(\d+) /m;

/**
 * Spawns `deno run -A ...denoFlags main.ts serve --http --port 0 ...args` (the
 * system picks a free port) and waits for the line that says where it listens.
 */
export async function startHttpServer(
  env: Record<string, string>,
  args: string[] = [],
  denoFlags: string[] = [],
): Promise<HttpServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...denoFlags, MAIN, "serve", "--http", "--port", "0", ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const err = { text: "" };
  const out = { text: "" };
  let heard = () => {};
  const reading = Promise.all([
    collect(child.stderr, err, () => heard()),
    collect(child.stdout, out),
  ]);
  const state: { exited: Deno.CommandStatus | null } = { exited: null };
  const status = child.status.then((s) => state.exited = s);
  let stopping: Promise<number> | null = null;
  const stop = () =>
    stopping ??= (async () => {
      if (!state.exited) {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        await withDeadline(status, 10_000, "serve --http to stop").catch(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        });
      }
      const s = await status;
      await withDeadline(reading, 5_000, "server output").catch(() => {});
      return s.code;
    })();
  // Ready when it says so on stderr; an exit or its output ending first is a failure.
  const listening = new Promise<number>((resolve, reject) => {
    heard = () => {
      const m = LISTENING.exec(err.text);
      if (m) resolve(Number(m[1]));
    };
    reading.then(() => reject(new Error("serve --http exited at start")));
  });
  let port: number;
  try {
    port = await withDeadline(listening, 30_000, "serve --http to listen");
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; stderr: ${err.text}`);
  }
  const base = `http://127.0.0.1:${port}`;
  return {
    port,
    base,
    stderr: () => err.text,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

/** An SDK client on one transport, with helpers for tool calls. */
export class McpAgent implements AsyncDisposable {
  constructor(
    readonly client: Client,
    readonly transport: string,
    /** The channel events it received (sessions bound to an agent push them). */
    readonly channel: ChannelEvents,
    /** What a server spawned over stdio wrote on stderr so far ("" over HTTP). */
    readonly stderr: () => string = () => "",
  ) {}

  /** Calls a tool and returns the raw result. */
  raw(
    name: string,
    args: Record<string, unknown> = {},
    options?: Parameters<Client["callTool"]>[2],
  ): Promise<CallToolResult> {
    return this.client.callTool({ name, arguments: args }, undefined, options) as Promise<
      CallToolResult
    >;
  }

  /** Calls a tool and returns its structured content; a tool error throws. */
  async call<T = Record<string, unknown>>(
    name: string,
    args: Record<string, unknown> = {},
    options?: Parameters<Client["callTool"]>[2],
  ): Promise<T> {
    const result = await this.raw(name, args, options);
    if (result.isError) {
      throw new Error(`${name} over ${this.transport} failed: ${JSON.stringify(result.content)}`);
    }
    return result.structuredContent as T;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const t = this.client.transport;
    if (t instanceof StreamableHTTPClientTransport) {
      await withDeadline(t.terminateSession(), 5_000, "DELETE session").catch(() => {});
    }
    await withDeadline(this.client.close(), 10_000, "client.close()").catch(() => {});
  }
}

async function connect(
  transport: Parameters<Client["connect"]>[0],
  kind: string,
  stderr?: () => string,
): Promise<McpAgent> {
  const client = new Client({ name: `agent-mesh-test-${kind}`, version: "0.0.0" });
  const channel = new ChannelEvents(client); // before connecting: a backlog comes at once
  await withDeadline(client.connect(transport), 30_000, `connecting over ${kind}`);
  await client.listTools(); // arms the client's output-schema checks
  return new McpAgent(client, kind, channel, stderr);
}

/** A client of `main.ts serve ...args` spawned over stdio; its stderr is kept (`agent.stderr()`). */
export function stdioAgent(env: Record<string, string>, args: string[] = []): Promise<McpAgent> {
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: ["run", "-A", MAIN, "serve", ...args],
    env,
    stderr: "pipe",
  });
  let text = "";
  // Read as it comes, so that the server never blocks on a full pipe.
  transport.stderr?.on("data", (chunk: Uint8Array | string) => {
    text += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
  });
  return connect(transport, "stdio", () => text);
}

/** A client of `<base>/mcp` (Streamable HTTP); `path` may add a query (`/mcp?as=bob`). */
export function streamableAgent(
  base: string,
  headers: Record<string, string> = {},
  path = "/mcp",
) {
  return connect(
    new StreamableHTTPClientTransport(new URL(path, base), { requestInit: { headers } }),
    "streamable-http",
  );
}

/** A client of `<base>/sse` (legacy HTTP+SSE); `path` may add a query (`/sse?as=bob`). */
export function sseAgent(base: string, headers: Record<string, string> = {}, path = "/sse") {
  return connect(
    new SSEClientTransport(new URL(path, base), { requestInit: { headers } }),
    "sse",
  );
}
