/** The entrypoint: version, help, and running straight from a URL with no local config. */
import assert from "node:assert/strict";
import { extname, join, normalize } from "node:path";
import { MAIN, runCli } from "./harness/cli.ts";
import { VERSION } from "../lib/version.ts";
import { fromFileUrl } from "./harness/paths.ts";

Deno.test("--version and -V print the version", async () => {
  for (const flag of ["--version", "-V"]) {
    const r = await runCli({}, [flag]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `agent-mesh ${VERSION}\n`);
  }
});

Deno.test("--help lists every command; help COMMAND and COMMAND --help show its flags", async () => {
  const r = await runCli({}, ["--help"]);
  assert.equal(r.code, 0);
  for (
    const c of [
      "send",
      "listen",
      "monitor",
      "ping",
      "request",
      "reply",
      "ack",
      "pending",
      "register",
      "deregister",
      "who",
      "broadcast",
    ]
  ) {
    assert.match(r.stdout, new RegExp(`^  ${c}\\s`, "m"), c);
  }
  assert.match(r.stdout, /AGENT_MESH_REDIS_URL/);
  const a = await runCli({}, ["help", "send"]);
  const b = await runCli({}, ["send", "--help"]);
  assert.equal(a.code, 0);
  assert.equal(a.stdout, b.stdout);
  assert.match(
    a.stdout,
    /^Usage: agent-mesh send TARGET \(MESSAGE \| --file PATH\) \[--from NAME\]/,
  );
  assert.match(a.stdout, /--expect-reply/);
  const bad = await runCli({}, ["help", "nope"]);
  assert.equal(bad.code, 2);
  const none = await runCli({}, []);
  assert.equal(none.code, 2, "no command is a usage error");
  assert.match(none.stdout, /Usage: agent-mesh COMMAND/);
});

const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".json": "application/json",
};

Deno.test("deno run -A http://127.0.0.1:PORT/main.ts works with no local config", async () => {
  const root = fromFileUrl(new URL("..", import.meta.url));
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    async (req) => {
      const path = normalize(join(root, decodeURIComponent(new URL(req.url).pathname)));
      if (!path.startsWith(root)) return new Response("no", { status: 403 });
      try {
        const body = await Deno.readFile(path);
        return new Response(body, {
          headers: { "content-type": TYPES[extname(path)] ?? "text/plain" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const cwd = await Deno.makeTempDir();
  try {
    const url = `http://127.0.0.1:${server.addr.port}/main.ts`;
    const run = async (args: string[], env: Record<string, string> = {}) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-config", url, ...args],
        cwd,
        env: { NO_COLOR: "1", ...env },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        stdout: new TextDecoder().decode(out.stdout),
        stderr: new TextDecoder().decode(out.stderr),
      };
    };
    const v = await run(["--version"]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, `agent-mesh ${VERSION}\n`);
    // A real command through the URL too: the embedded engine loads remotely.
    const env = { AGENT_MESH_HOME: cwd, AGENT_MESH_REDIS_URL: "" };
    const s = await run(["send", "bob", "from a url", "--from", "web"], env);
    assert.equal(s.code, 0, s.stderr);
    const l = await run(["listen", "bob", "--timeout", "5"], env);
    assert.equal(l.stdout, "[DIRECT from web] from a url\n", l.stderr);
  } finally {
    ac.abort();
    await server.finished;
    await Deno.remove(cwd, { recursive: true });
  }
  assert.ok(MAIN.endsWith("main.ts"));
});
