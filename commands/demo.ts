/**
 * `agent-mesh demo`: a short scripted exchange on a throwaway embedded database.
 * Every step is a real agent-mesh process, printed as the command a user would type.
 */
import { join } from "node:path";
import { selfCommand } from "../lib/self.ts";

const self = selfCommand();

function show(args: string[]): string {
  return "$ agent-mesh " + args.map((a) => (/[\s?"']/.test(a) ? JSON.stringify(a) : a)).join(" ");
}

async function step(env: Record<string, string>, args: string[]): Promise<string> {
  console.log(show(args));
  const out = await new Deno.Command(self.command, {
    args: [...self.args, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  console.log(text.trimEnd().replace(/^/gm, "  "));
  if (!out.success) throw new Error(`demo step failed: ${show(args)}`);
  return text;
}

/** Reads lines of a stream, calling `onLine` for each. */
async function eachLine(stream: ReadableStream<Uint8Array>, onLine: (l: string) => void) {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  }
}

/** Runs the demo; returns the exit code. */
export async function run(_argv: string[]): Promise<number> {
  const home = await Deno.makeTempDir({ prefix: "agent-mesh-demo-" });
  const env: Record<string, string> = {
    AGENT_MESH_HOME: home,
    AGENT_MESH_DB: join(home, "mesh.db"),
    AGENT_MESH_REDIS_URL: "",
  };
  console.log(`agent-mesh demo: two agents on a throwaway database (${env.AGENT_MESH_DB})\n`);
  console.log("$ agent-mesh monitor cortex &   # cortex's listener, in the background");
  const monitor = new Deno.Command(self.command, {
    args: [...self.args, "monitor", "cortex"],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let replyKey: (key: string) => void = () => {};
  const gotKey = new Promise<string>((r) => replyKey = r);
  let ready: () => void = () => {};
  const isReady = new Promise<void>((r) => ready = r);
  const lines = Promise.all([
    eachLine(monitor.stdout, (l) => {
      console.log(`  [cortex's monitor] ${l}`);
      const m = l.match(/agent-mesh reply (\S+)/);
      if (m) replyKey(m[1]);
    }),
    eachLine(monitor.stderr, (l) => {
      if (l.startsWith("monitoring")) ready();
      else console.log(`  [cortex's monitor] ${l}`);
    }),
  ]);
  try {
    await isReady;
    await step(env, ["register", "watchdog", "--role", "demo agent"]);
    await step(env, ["ping", "cortex", "--from", "watchdog"]);
    await step(env, ["send", "cortex", "hello from watchdog", "--from", "watchdog"]);
    console.log(
      show(["request", "cortex", "what time is it?", "--from", "watchdog"]) + "   # waits",
    );
    const request = new Deno.Command(self.command, {
      args: [...self.args, "request", "cortex", "what time is it?", "--from", "watchdog"],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const key = await gotKey;
    console.log("\n# cortex answers the request with the command its monitor showed:");
    await step(env, ["reply", key, "it is noon", "--from", "cortex"]);
    const answered = await request;
    console.log("\n# watchdog's request returns with the reply:");
    console.log("  " + new TextDecoder().decode(answered.stdout).trim());
    await step(env, ["who"]);
    console.log(
      "\nThat was the whole exchange. Point AGENT_MESH_REDIS_URL at a Redis to span machines.",
    );
    return 0;
  } finally {
    monitor.kill("SIGTERM");
    await monitor.status;
    await lines.catch(() => {});
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}
