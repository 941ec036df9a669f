/**
 * Scenario "serve": MCP clients wait in `mesh_listen` on a `serve --http` that is
 * SIGKILLed and restarted on the same port at seeded moments, while sender
 * processes send. A message taken by a killed server and never answered is given
 * out again after the lease; one answered and killed before its acknowledgement
 * may be shown twice: the last message each client got from a killed server is
 * counted apart.
 */
import { freePort } from "../tests/harness/redis_server.ts";
import { MAIN } from "../tests/harness/cli.ts";
import { type McpAgent, streamableAgent } from "../tests/harness/mcp_server.ts";
import {
  between,
  type ChaosContext,
  type EngineName,
  pause,
  type Row,
  row,
  seeded,
  Tally,
} from "./common.ts";
import { drain, runBounded } from "./proc.ts";

/** A serve --http process on a fixed port, restartable after a SIGKILL. */
class Server {
  #child: Deno.ChildProcess | null = null;
  readonly base: string;
  constructor(readonly env: Record<string, string>, readonly port: number) {
    this.base = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "serve", "--http", "--port", String(this.port)],
      env: this.env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitHealthy(this.base, 30_000);
  }

  async kill(): Promise<void> {
    const c = this.#child;
    this.#child = null;
    if (!c) return;
    try {
      c.kill("SIGKILL");
    } catch { /* gone */ }
    await c.status;
  }
}

/** Waits until `base`/health answers, at most `ms`. */
async function waitHealthy(base: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/health`);
      await res.body?.cancel();
      if (res.ok) return true;
    } catch { /* not listening */ }
    await pause(50); // polls an open port, bounded above
  }
  return false;
}

/** Runs the scenario on `engine`. */
export async function serveScenario(ctx: ChaosContext, engine: EngineName): Promise<Row> {
  const clients = ctx.quick ? 2 : 3;
  const senders = 4;
  const perSender = ctx.quick ? 3 : 15;
  const r = row(`serve --http killed, ${clients} MCP clients`, engine);
  const e = await ctx.engine(engine, { AGENT_MESH_LEASE_S: "1" });
  const rand = seeded(ctx.seed + 2);
  const t = new Tally();
  const server = new Server(e.env, freePort());
  await server.start();
  let epoch = 0;
  /** Per epoch (server instance), per client: the last text that instance answered. */
  const lastOf = new Map<number, Map<number, string>>();
  let sending = true;
  const sends = Promise.all(
    Array.from({ length: senders }, async (_, i) => {
      for (let j = 0; j < perSender; j++) {
        const text = `h${i}-${j}`;
        await pause(between(rand, 0, 400)); // spread the sends over the kills
        const res = await runBounded(e.env, ["send", "bob", text, "--from", `s${i}`], 30_000);
        if (res.code === 0) t.sent.push(text);
        else {
          t.refused++;
          r.failures.push(`send ${text} failed (exit ${res.code}): ${res.stderr.trim()}`);
        }
      }
    }),
  ).finally(() => sending = false);
  const listeners = Array.from({ length: clients }, async (_, c) => {
    let agent: McpAgent | null = null;
    for (let calls = 0; sending && calls < 1000; calls++) {
      const at = epoch;
      try {
        agent ??= await streamableAgent(server.base);
        const res = await agent.call<{ message: { text: string } | null }>("mesh_listen", {
          name: "bob",
          timeout_s: 1,
        }, { timeout: 5_000 }); // a call cut by a kill is given up quickly
        if (Deno.env.get("CHAOS_DEBUG")) {
          console.error(`client ${c} epoch ${at}: ${res.message?.text}`);
        }
        if (res.message) {
          t.shown.push(res.message.text);
          if (!lastOf.has(at)) lastOf.set(at, new Map());
          lastOf.get(at)!.set(c, res.message.text);
        }
      } catch (err) {
        if (Deno.env.get("CHAOS_DEBUG")) console.error(`client ${c} epoch ${at}: ${err}`);
        // The server was killed under this call: a new client once it is back.
        const old: McpAgent | null = agent;
        agent = null;
        if (old) await old[Symbol.asyncDispose]().catch(() => {});
        await waitHealthy(server.base, 30_000);
      }
    }
    if (agent) await agent[Symbol.asyncDispose]().catch(() => {});
  });
  try {
    for (let k = 0; sending && k < 100; k++) {
      await pause(between(rand, 200, 1000));
      if (!sending) break;
      await server.kill();
      if (Deno.env.get("CHAOS_DEBUG")) console.error(`killed epoch ${epoch}`);
      t.kills++;
      epoch++;
      await server.start();
    }
    await sends;
    await Promise.all(listeners);
  } finally {
    await server.kill();
  }
  for (const [at, byClient] of lastOf) {
    if (at < epoch) { for (const text of byClient.values()) t.atRisk.add(text); }
  }
  t.shown.push(...await drain(e.env));
  ctx.log(`serve ${engine}: ${t.sent.length} sent, ${t.kills} server kills`);
  t.into(r);
  r.failed = r.failures.length;
  return r;
}
