/**
 * Scenario "fuzz-mcp": a few hundred generated JSON-RPC payloads to `serve` over
 * stdio (bad JSON, wrong types, unknown methods and tools, huge strings, ids of
 * every kind, duplicate ids). Every request must get a result or an error within
 * its bound; after a payload that calls for no answer, a ping must still be
 * answered; a refused tool call must write nothing; a good call ends the run.
 */
import { MAIN } from "../tests/harness/cli.ts";
import {
  between,
  type ChaosContext,
  type EngineName,
  pick,
  type Row,
  row,
  seeded,
  snapshot,
  written,
} from "./common.ts";

const TOOLS = [
  "mesh_send",
  "mesh_broadcast",
  "mesh_listen",
  "mesh_listen_once",
  "mesh_ping",
  "mesh_request",
  "mesh_reply",
  "mesh_ack",
  "mesh_register",
  "mesh_deregister",
  "mesh_who",
  "mesh_history",
  "mesh_pending",
  "mesh_status",
];
/** Tools that wait: they always get a short or bad timeout_s. */
const WAITING = ["mesh_listen", "mesh_listen_once", "mesh_ping", "mesh_request"];
const KEYS = [
  "to",
  "message",
  "name",
  "agent",
  "peer",
  "text",
  "reply_to",
  "from_agent",
  "private",
  "scope",
  "limit",
  "role",
  "id",
];
const VALUES: unknown[] = [
  "bob",
  "",
  "bad name",
  "../x",
  "\u0000nul",
  "\x1b[31m",
  "x".repeat(300_000),
  "💥",
  5,
  -1,
  1e308,
  null,
  true,
  [],
  {},
  ["bob"],
  { to: "bob" },
];
const SHORT_WAITS: unknown[] = [0.2, 0, -1, "abc", null, "1", 1e308];
const BAD_LINES = [
  "{",
  "not json",
  '{"jsonrpc":"2.0",',
  "null",
  "123",
  '"text"',
  "{}",
  "[]",
  '{"jsonrpc":"1.0","id":1,"method":"ping"}',
  '{"jsonrpc":"2.0","id":{},"method":"ping"}',
  '{"jsonrpc":"2.0","method":"notifications/unknown"}',
  '[{"jsonrpc":"2.0","id":"b1","method":"ping"}]',
  "\u0000\u0001\u0002",
  " ".repeat(10_000),
];

interface Payload {
  /** The line written to the server. */
  line: string;
  /** The id an answer must carry, or null when none is due (then a ping follows). */
  id: string | number | null;
  /** How many times the line is written (duplicate ids). */
  times: number;
  /** A tool call: its name (for the nothing-written check). */
  tool?: string;
}

function toolArgs(rand: () => number, tool: string): unknown {
  if (rand() < 0.1) return pick(rand, VALUES); // arguments that are not an object at all
  const args: Record<string, unknown> = {};
  const n = between(rand, 0, 4);
  for (let k = 0; k < n; k++) args[pick(rand, KEYS)] = pick(rand, VALUES);
  if (WAITING.includes(tool)) args.timeout_s = pick(rand, SHORT_WAITS);
  return args;
}

/** Generates payload `i`. */
export function mcpPayload(rand: () => number, i: number): Payload {
  const p = rand();
  const id = rand() < 0.5 ? i + 1000 : `s-${i}`;
  const req = (method: string, params?: unknown) =>
    JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
  if (p < 0.15) return { line: pick(rand, BAD_LINES), id: null, times: 1 };
  if (p < 0.25) {
    return {
      line: req(pick(rand, ["nope", "tools/nope", "", "resources/read", "ping"])),
      id,
      times: 1,
    };
  }
  if (p < 0.35) {
    const params = p < 0.3 ? pick(rand, VALUES) : pick(rand, [undefined, {}, 5, "x"]);
    // MCP requires params to be an object: otherwise the line is no valid request, and,
    // as for bad JSON, the SDK answers nothing (the ping after it must be answered).
    const valid = params === undefined || (typeof params === "object" && params !== null &&
      !Array.isArray(params));
    return {
      line: req(p < 0.3 ? "tools/call" : "tools/list", params),
      id: valid ? id : null,
      times: 1,
    };
  }
  const tool = rand() < 0.1
    ? pick(rand, ["nope", "", "MESH_SEND", "x".repeat(10_000)])
    : pick(rand, TOOLS);
  return {
    line: req("tools/call", { name: tool, arguments: toolArgs(rand, tool) }),
    id,
    times: rand() < 0.05 ? 2 : 1,
    tool,
  };
}

/** A stdio MCP server read line by line, answers routed by id. */
class StdioServer {
  readonly child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #answers = new Map<string, unknown[]>();
  readonly #waiters = new Set<() => void>();
  readonly reading: Promise<void>;
  ended = false;

  constructor(env: Record<string, string>) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "serve"],
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.child = child;
    this.#writer = child.stdin.getWriter();
    this.reading = (async () => {
      let buf = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            const msg = JSON.parse(line);
            if (msg && "id" in msg) {
              const key = JSON.stringify(msg.id);
              this.#answers.set(key, [...this.#answers.get(key) ?? [], msg]);
            }
          } catch { /* not ours to judge here: counted as no answer */ }
        }
        this.#waiters.forEach((w) => w());
      }
    })().finally(() => {
      this.ended = true;
      this.#waiters.forEach((w) => w());
    });
  }

  write(line: string): Promise<void> {
    return this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  /** The answers to `id`, once `count` came, the server ended, or `ms` passed. */
  answers(id: string | number, count: number, ms: number): Promise<unknown[]> {
    const key = JSON.stringify(id);
    return new Promise((resolve) => {
      const check = () => {
        const got = this.#answers.get(key) ?? [];
        if (got.length >= count || this.ended) finish(got);
      };
      const timer = setTimeout(() => finish(this.#answers.get(key) ?? []), ms);
      const finish = (got: unknown[]) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        this.#answers.delete(key);
        resolve(got);
      };
      this.#waiters.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    await this.#writer.close().catch(() => {});
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.child.status;
    clearTimeout(timer);
    await this.reading.catch(() => {});
  }
}

/** Whether an answer is a refusal: a JSON-RPC error or a tool result marked isError. */
function refused(answer: unknown): boolean {
  const a = answer as { error?: unknown; result?: { isError?: boolean } };
  return a.error !== undefined || a.result?.isError === true;
}

/** Runs the scenario on `engine`. */
export async function fuzzMcpScenario(ctx: ChaosContext, engine: EngineName): Promise<Row> {
  const cases = ctx.quick ? 60 : 300;
  const r = row("MCP fuzzing (stdio)", engine);
  const e = await ctx.engine(engine);
  const rand = seeded(ctx.seed + 6);
  const store = await e.open();
  const server = new StdioServer(e.env);
  try {
    await server.write(JSON.stringify({
      jsonrpc: "2.0",
      id: "init",
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "agent-mesh-chaos", version: "0" },
      },
    }));
    if ((await server.answers("init", 1, 30_000)).length !== 1) {
      throw new Error("serve did not answer initialize");
    }
    await server.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    let before = await snapshot(store, "");
    const kinds = { result: 0, error: 0, toolError: 0, none: 0 };
    for (let i = 0; i < cases && !server.ended; i++) {
      const p = mcpPayload(rand, i);
      r.fuzzCases++;
      for (let k = 0; k < p.times; k++) await server.write(p.line);
      const problems: string[] = [];
      let answers: unknown[];
      if (p.id === null) {
        // Nothing is due; the server must still answer a ping.
        await server.write(JSON.stringify({ jsonrpc: "2.0", id: `ping-${i}`, method: "ping" }));
        answers = await server.answers(`ping-${i}`, 1, 10_000);
        if (answers.length !== 1) problems.push("no answer to a ping after it");
      } else {
        answers = await server.answers(p.id, p.times, 10_000);
        if (answers.length < 1) problems.push("no answer");
      }
      for (const a of answers as { error?: unknown; result?: { isError?: boolean } }[]) {
        if (a.error !== undefined) kinds.error++;
        else if (a.result?.isError) kinds.toolError++;
        else kinds.result++;
      }
      if (!answers.length) kinds.none++;
      const after = await snapshot(store, "");
      if (
        p.tool && answers.length && answers.every(refused) &&
        !["mesh_ping", "mesh_request"].includes(p.tool)
      ) {
        const keys = written(before, after);
        if (keys.length) problems.push(`refused but wrote ${keys.join(", ")}`);
      }
      before = after;
      if (problems.length) {
        r.failures.push(`case ${i} ${p.line.slice(0, 200)}: ${problems.join("; ")}`);
      }
    }
    ctx.log(`fuzz-mcp ${engine}: answers ${JSON.stringify(kinds)}`);
    // The good call at the end: the server is still there for everyone else.
    await server.write(JSON.stringify({
      jsonrpc: "2.0",
      id: "final",
      method: "tools/call",
      params: { name: "mesh_send", arguments: { to: "bob", message: "still up", from_agent: "z" } },
    }));
    const final = await server.answers("final", 1, 30_000);
    if (final.length !== 1 || refused(final[0])) {
      r.failures.push(`the final good call failed: ${JSON.stringify(final).slice(0, 300)}`);
    }
  } finally {
    await server.stop();
    await store.close();
  }
  ctx.log(`fuzz-mcp ${engine}: ${r.fuzzCases} cases, ${r.failures.length} failures`);
  r.failed = r.failures.length;
  return r;
}
