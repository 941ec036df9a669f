/**
 * `agent-mesh demo`: a short scripted exchange on a throwaway embedded database.
 * Every step is a real agent-mesh process, printed as the command a user would type.
 */
import { defineCommand } from "./_cli/define.ts";
import { arr, lit, obj, str } from "./_cli/shape.ts";

function show(args: string[]): string {
  return "$ agent-mesh " + args.map((a) => (/[\s?"']/.test(a) ? JSON.stringify(a) : a)).join(" ");
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

/** The reply hint listen and monitor print under a request (after monitor's HH:MM:SS). */
const REPLY_HINT = /^ {2}↳ request: answer with {2}agent-mesh reply (\S+) /;

export default defineCommand({
  name: "demo",
  summary: "run a short scripted exchange between two agents on a throwaway database",
  output: obj({ ok: lit(true), transcript: arr(str) }),
  description: "Starts a monitor for cortex, then registers watchdog, pings cortex, sends it a\n" +
    "message and a request, and answers the request as cortex. Nothing outside a\n" +
    "temporary folder is touched.",
  async run(ctx) {
    const lib = await ctx.lib();
    const self = lib.selfCommand();
    // From source, `deno run` would print "Download ..." lines on a first run: --quiet.
    const base = self.args[0] === "run" ? ["run", "--quiet", ...self.args.slice(1)] : self.args;
    const transcript: string[] = [];
    const say = (line: string) => ctx.json ? transcript.push(line) : console.log(line);
    const home = await Deno.makeTempDir({ prefix: "agent-mesh-demo-" });
    const env: Record<string, string> = {
      AGENT_MESH_HOME: home,
      AGENT_MESH_DB: lib.join(home, "mesh.db"),
      AGENT_MESH_REDIS_URL: "",
      AGENT_MESH_AGENT: "",
    };
    const spawn = (args: string[]) =>
      new Deno.Command(self.command, {
        args: [...base, ...args],
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      });
    const step = async (args: string[]) => {
      say(show(args));
      const out = await spawn(args).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      for (const line of text.trimEnd().split("\n")) say(`  ${line}`);
      if (!out.success) throw new Error(`demo step failed: ${show(args)}`);
    };
    say(`agent-mesh demo: two agents on a throwaway database (${env.AGENT_MESH_DB})`);
    say("");
    say("$ agent-mesh monitor cortex &   # cortex's listener, in the background");
    const monitor = spawn(["monitor", "cortex"]).spawn();
    let replyKey: (key: string) => void = () => {};
    const gotKey = new Promise<string>((r) => replyKey = r);
    let ready: () => void = () => {};
    let stopping = false;
    const isReady = new Promise<void>((r) => ready = r);
    const lines = Promise.all([
      eachLine(monitor.stdout, (l) => {
        say(`  [cortex's monitor] ${l}`);
        const m = l.match(REPLY_HINT);
        if (m) replyKey(m[1]);
      }),
      eachLine(monitor.stderr, (l) => {
        if (l.startsWith("monitoring")) ready();
        else if (!stopping) say(`  [cortex's monitor] ${l}`); // not its "Interrupted" at the end
      }),
    ]);
    try {
      await isReady;
      await step(["register", "watchdog", "--role", "demo agent"]);
      await step(["ping", "cortex", "--from", "watchdog"]);
      await step(["send", "cortex", "hello from watchdog", "--from", "watchdog"]);
      const ask = ["request", "cortex", "what time is it?", "--from", "watchdog"];
      say(`${show(ask)}   # waits`);
      const request = spawn(ask).output();
      const key = await gotKey;
      say("");
      say("# cortex answers the request with the command its monitor showed:");
      await step(["reply", key, "it is noon", "--from", "cortex"]);
      const answered = await request;
      say("");
      say("# watchdog's request returns with the reply:");
      say("  " + new TextDecoder().decode(answered.stdout).trim());
      await step(["who"]);
      say("");
      say("That was the whole exchange. Point AGENT_MESH_REDIS_URL at a Redis to span machines.");
      ctx.emit({ ok: true, transcript });
      return 0;
    } finally {
      stopping = true;
      monitor.kill("SIGTERM");
      await monitor.status;
      await lines.catch(() => {});
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});
