/**
 * The bench's child process: agents that listen or send through the Mesh API,
 * on the engine its environment selects (as the CLI would). Not a test, not a
 * command: run by the figure groups only.
 *
 *   deno run -A bench/agent.ts listen NAME[,NAME...]
 *     The agents share one store, as the sessions of `serve --http` do, each
 *     listening as `listen`/`monitor` do (DIRECT and group traffic, pings
 *     answered). Prints "ready" once every agent's consumer groups exist, then
 *     one JSON line per group message: {name, text, seen}.
 *   deno run -A bench/agent.ts echo REDIS_URL STREAM
 *     No agent-mesh code: bare Redis commands on two ioredis connections. Blocks in XREAD on STREAM
 *     and answers each entry {nonce} with an XADD to STREAM:<nonce>: the shape of
 *     a ping, for the floor of the ping figure. Prints "ready" once blocked.
 *   deno run -A bench/agent.ts sender FROM
 *     The fan-out's sender: prints "ready", then for each "TOKEN TARGET" line on
 *     standard input takes the wall-clock time, sends TOKEN to TARGET as a
 *     default `send` does (echoed on the group stream), prints {token, t0}.
 *   deno run -A bench/agent.ts send FROM TARGET COUNT IN_FLIGHT START_AT
 *     Waits until the wall-clock time START_AT (ms), sends COUNT messages with at
 *     most IN_FLIGHT at once, prints {sent, failed, start, end}.
 *
 * Either stops by itself after MAX_S seconds at the latest, or on SIGTERM.
 */
import { loadConfig } from "../lib/config.ts";
import { nextDirect } from "../lib/mesh/listen.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { openStore } from "../lib/store/open.ts";
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { sleep, wallNow } from "./stats.ts";

const MAX_S = 240;

const stop = new AbortController();
const limit = setTimeout(() => stop.abort(), MAX_S * 1000);
Deno.addSignalListener("SIGTERM", () => stop.abort());

async function listen(names: string[]): Promise<void> {
  const config = loadConfig();
  const m = new Mesh(await openStore(config), config);
  // Created here, at "$", so that whatever the parent sends after "ready" is seen.
  for (const name of names) {
    await m.store.ensureGroup(m.keys.group, m.keys.consumerGroup(name), "$");
    await m.store.ensureGroup(m.keys.inbox(name), m.keys.consumerGroup(name), "$");
  }
  console.log("ready");
  await Promise.all(names.map(async (name) => {
    while (!stop.signal.aborted) {
      const delivery = await nextDirect(m, name, {
        timeoutMs: 60_000,
        withGroup: true,
        signal: stop.signal,
        onGroup: (msg) => console.log(JSON.stringify({ name, text: msg.text, seen: wallNow() })),
      });
      await delivery?.ack();
    }
  }));
  await m.store.close();
}

async function echo(url: string, stream: string): Promise<void> {
  const reader = new Redis(url, { disableClientInfo: true });
  const writer = new Redis(url, { disableClientInfo: true });
  let cursor = "$";
  console.log("ready");
  while (!stop.signal.aborted) {
    // Short blocks, so that SIGTERM is noticed; an idle echo costs a wake a second.
    const raw = await reader.call("XREAD", "COUNT", 100, "BLOCK", 1000, "STREAMS", stream, cursor)
      .catch(() => null) as [string, [string, string[]][]][] | null;
    for (const [id, fields] of raw?.[0]?.[1] ?? []) {
      cursor = id;
      await writer.call("XADD", `${stream}:${fields[1]}`, "*", "pong", "1");
    }
  }
  reader.disconnect();
  writer.disconnect();
}

async function sender(from: string): Promise<void> {
  const config = loadConfig();
  const mesh = new Mesh(await openStore(config), config);
  await mesh.store.length("warm-up"); // connected before the first timed send
  console.log("ready");
  let buf = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const [token, target] = buf.slice(0, i).split(" ");
      buf = buf.slice(i + 1);
      const t0 = wallNow();
      await mesh.send({ from, to: target, text: token });
      console.log(JSON.stringify({ token, t0 }));
    }
    if (stop.signal.aborted) break;
  }
  await mesh.store.close();
}

async function send(
  from: string,
  to: string,
  count: number,
  inFlight: number,
  startAt: number,
): Promise<void> {
  const config = loadConfig();
  const mesh = new Mesh(await openStore(config), config);
  const text = "bench message: " + "x".repeat(80);
  await mesh.store.length("warm-up"); // a first round trip before the clock starts
  await sleep(Math.max(0, startAt - wallNow()));
  const start = wallNow();
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < count && !stop.signal.aborted) {
      next++;
      try {
        await mesh.send({ from, to, text });
      } catch (err) {
        if (failed++ === 0) console.error(`send failed: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, inFlight) }, worker));
  const end = wallNow();
  await mesh.store.close();
  console.log(JSON.stringify({ sent: next - failed, failed, start, end }));
}

const [mode, ...args] = Deno.args;
try {
  if (mode === "listen") await listen(args[0].split(","));
  else if (mode === "echo") await echo(args[0], args[1]);
  else if (mode === "sender") await sender(args[0]);
  else if (mode === "send") {
    await send(args[0], args[1], Number(args[2]), Number(args[3]), Number(args[4]));
  } else throw new Error(`unknown mode ${mode}`);
} finally {
  clearTimeout(limit);
}
Deno.exit(0);
