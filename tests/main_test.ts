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

/** Serves this repository's files on a loopback port, as a raw-file host would. */
function serveRepo(): AsyncDisposable & { url: string } {
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
  return {
    url: `http://127.0.0.1:${server.addr.port}/main.ts`,
    async [Symbol.asyncDispose]() {
      ac.abort();
      await server.finished;
    },
  };
}

/** Runs `deno ...args` in `cwd` with `env`. */
async function deno(args: string[], cwd: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
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
}

Deno.test("deno run -A http://127.0.0.1:PORT/main.ts works with no local config", async () => {
  await using repo = serveRepo();
  const cwd = await Deno.makeTempDir();
  try {
    const run = (args: string[], env: Record<string, string> = {}) =>
      deno(["run", "-A", "--no-config", repo.url, ...args], cwd, env);
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
    await Deno.remove(cwd, { recursive: true });
  }
  assert.ok(MAIN.endsWith("main.ts"));
});

Deno.test("a first run from a URL mixes no Download lines into the demo; --quiet keeps our stderr", async () => {
  await using repo = serveRepo();
  const cwd = await Deno.makeTempDir();
  try {
    // A fresh Deno cache: every module of the program is downloaded, by the demo and by each of
    // its steps. npm packages come from the usual cache, so the test needs no network.
    const cache = join(cwd, "deno-cache");
    await Deno.mkdir(cache);
    const info = await deno(["info", "--json"], cwd);
    await Deno.symlink(join(JSON.parse(info.stdout).denoDir, "npm"), join(cache, "npm"));
    const env = { DENO_DIR: cache, AGENT_MESH_REDIS_URL: "" };
    const demo = await deno(["run", "-A", "--quiet", "--no-config", repo.url, "demo"], cwd, env);
    assert.equal(demo.code, 0, demo.stderr);
    assert.match(demo.stdout, /it is noon/);
    assert.doesNotMatch(demo.stdout + demo.stderr, /Download/);
    const home = { ...env, AGENT_MESH_HOME: cwd };
    const ours = await deno(
      ["run", "-A", "--quiet", MAIN, "listen", "x", "--timeout", "0"],
      cwd,
      home,
    );
    assert.equal(ours.stderr, "timeout: no message for x within 0s\n");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("deno task install puts a launcher on PATH that runs quietly", async () => {
  const root = await Deno.makeTempDir();
  try {
    const repo = fromFileUrl(new URL("..", import.meta.url));
    const r = await deno(["task", "install"], repo, { DENO_INSTALL_ROOT: root });
    assert.equal(r.code, 0, r.stderr);
    const bin = join(root, "bin", Deno.build.os === "windows" ? "agent-mesh.cmd" : "agent-mesh");
    assert.match(await Deno.readTextFile(bin), /--quiet/);
    const out = await new Deno.Command(bin, { args: ["--version"], stdout: "piped" }).output();
    assert.equal(new TextDecoder().decode(out.stdout), `agent-mesh ${VERSION}\n`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
