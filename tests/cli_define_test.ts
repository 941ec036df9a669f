/**
 * Commands defined once: the parser, the help and the usage line come from one
 * definition per command, and `--help`/`--version` load nothing heavy.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../lib/errors.ts";
import type { Command } from "../commands/_cli/define.ts";
import { commandHelp, usageLine } from "../commands/_cli/help.ts";
import { parseCommand } from "../commands/_cli/parse.ts";
import { closest, editDistance } from "../commands/_cli/suggest.ts";
import { COMMAND_NAMES, loadAll, loadCommand } from "../commands/index.ts";
import { fromFileUrl } from "./harness/paths.ts";

const noEnv = () => undefined;

/** Asserts that `fn` throws a UsageError whose message matches `re`. */
function usageError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, re);
    return true;
  });
}

function parse(cmd: Command, argv: string[], env: Record<string, string> = {}) {
  return parseCommand(cmd, argv, (k) => env[k]);
}

Deno.test("every listed command loads, under its own name, with --json and an output shape", async () => {
  const all = await loadAll();
  assert.deepEqual(all.map((c) => c.name), COMMAND_NAMES);
  for (const c of all) {
    assert.ok(c.flags.json, `${c.name} has --json`);
    assert.match(commandHelp(c), /^ {2}--json {2,}print one JSON document/m, c.name);
    assert.ok(c.output, `${c.name} declares what --json prints`);
  }
  await assert.rejects(loadCommand("sned"), /Unknown command "sned" \(did you mean send\?\)/);
});

Deno.test("the usage line names every flag the parser accepts, required ones unbracketed", async () => {
  for (const c of await loadAll()) {
    const usage = usageLine(c);
    for (const [name, spec] of Object.entries(c.flags)) {
      assert.ok(usage.includes(`--${name}`), `${c.name}: --${name} in ${usage}`);
      if ("required" in spec && spec.required) {
        assert.match(usage, new RegExp(` --${name} [A-Z]+( |$)`), `${c.name}: --${name} required`);
        assert.doesNotMatch(usage, new RegExp(`\\[--${name}[ \\]]`));
      }
    }
    for (const a of c.args) assert.ok(usage.includes(a.name), `${c.name}: ${a.name}`);
  }
  const setup = await loadCommand("setup");
  assert.match(usageLine(setup), /^agent-mesh setup TARGET \[NAME\] \[--as NAME\] \[--role TEXT\]/);
  const request = await loadCommand("request");
  assert.match(
    usageLine(request),
    /^agent-mesh request TARGET \(MESSAGE \| --file PATH\) \[--from NAME\]/,
  );
  const serve = await loadCommand("serve");
  assert.match(usageLine(serve), /\[--http \[--port PORT\] \[--host ADDRESS\] \[--insecure\]\]/);
});

Deno.test("parseCommand() types the values and checks names, numbers and choices", async () => {
  const send = await loadCommand("send");
  const p = parse(send, ["bob", "hi", "-pe", "--within", "30", "--from=al", "--json"]);
  assert.deepEqual(p.args, { TARGET: "bob", MESSAGE: "hi" });
  assert.equal(p.flags.private, true);
  assert.equal(p.flags["expect-reply"], true);
  assert.equal(p.flags.within, 30);
  assert.equal(p.flags.from, "al");
  assert.equal(p.flags.json, true);
  assert.equal(parse(send, ["bob", "--", "-1 is a message"]).args.MESSAGE, "-1 is a message");
  const bad: [string[], RegExp][] = [
    [["bob", "hi", "--form", "al"], /^Unknown flag "--form" \(did you mean --from\?\)$/],
    [["bob", "hi", "--privte"], /did you mean --private\?/],
    [["bob", "hi", "-x"], /^Unknown flag "-x" \(see "agent-mesh help send"\)$/],
    [["bob", "hi", "--from"], /^Missing value for --from NAME$/],
    [["bob", "hi", "--from", "--json"], /^Missing value for --from NAME \("--json" is a flag/],
    [["bob", "hi", "--from", "a", "--from", "b"], /--from NAME is given twice/],
    [["bob", "hi", "--json=yes"], /--json takes no value/],
    [
      ["bob", "hi", "--within", "soon"],
      /^Invalid --within "soon": expected a number of seconds, 0 or more$/,
    ],
    [["bob", "hi", "--within", "-1"], /negative numbers are not accepted/],
    [["bob", "hi", "--within", "1e400"], /Invalid --within/],
    [["bob", "hi", "--from", "a.b"], /Invalid sender name "a\.b"/],
    [["bo b", "hi"], /Invalid target name "bo b"/],
    [["bob"], /^Missing MESSAGE \(usage: agent-mesh send TARGET \(MESSAGE \| --file PATH\) /],
    [["bob", "hi", "there"], /^Unexpected argument "there"/],
    [["bob", "hi", "--file", "x"], /^Give MESSAGE as an argument or with --file, not both/],
  ];
  for (const [argv, error] of bad) usageError(() => parse(send, argv), error);
  assert.equal(parse(send, ["bob", "--file", "x"]).args.MESSAGE, undefined, "the file gives it");
  const serve = await loadCommand("serve");
  assert.equal(parse(serve, ["--http", "--port", "0"]).flags.port, 0);
  assert.equal(parse(serve, []).flags.port, 8765);
  usageError(
    () => parse(serve, ["--port", "9"]),
    /^--port, --host and --insecure go with --http/,
  );
  usageError(
    () => parse(serve, ["--http", "--port", "http"]),
    /Invalid --port "http": expected a whole number from 0 to 65535/,
  );
  usageError(
    () => parse(serve, ["--http", "--as", "bob"]),
    /^--as, --role, --channels and --group go with stdio/,
  );
  const setup = await loadCommand("setup");
  usageError(
    () => parse(setup, []),
    /^Missing TARGET: expected claude-code or redis-acl \(usage: /,
  );
  // (setup claude-code without --as is refused when it runs: redis-acl takes no --as.)
  usageError(
    () => parse(setup, ["claude-cod", "--as", "a"]),
    /Unknown target "claude-cod": expected claude-code or redis-acl \(did you mean claude-code\?\)/,
  );
  usageError(
    () => parse(setup, ["claude-code", "--as", "a", "--scope", "usr"]),
    /Invalid --scope "usr": expected project or user \(did you mean user\?\)/,
  );
});

Deno.test("the sender is --from, else AGENT_MESH_AGENT, else the anonymous cli, for every command that sends", async () => {
  const argv: Record<string, string[]> = {
    send: ["bob", "hi"],
    broadcast: ["hi"],
    ping: ["bob"],
    request: ["bob", "hi"],
    reply: ["mesh:reply:" + "a".repeat(32), "hi"],
    ack: ["bob", "hi"],
    pending: ["cancel", "0c1d"], // whose ledger to change
  };
  for (const [name, args] of Object.entries(argv)) {
    const cmd = await loadCommand(name);
    assert.equal(parseCommand(cmd, args, noEnv).flags.from, "cli", name);
    assert.equal(parse(cmd, args, { AGENT_MESH_AGENT: "zoe" }).flags.from, "zoe", name);
    assert.equal(
      parse(cmd, [...args, "--from", "al"], { AGENT_MESH_AGENT: "zoe" }).flags.from,
      "al",
    );
    usageError(
      () => parse(cmd, args, { AGENT_MESH_AGENT: "a/b" }),
      /Invalid AGENT_MESH_AGENT name "a\/b"/,
    );
  }
  // Every command with a --from flag is one of those: none has a sender rule of its own.
  for (const c of await loadAll()) {
    if (c.flags.from) assert.equal(c.flags.from.type, "sender", c.name);
    if (c.flags.from) assert.ok(c.name in argv, c.name);
  }
});

Deno.test("closest() suggests typos and prefixes, not far-fetched names", () => {
  assert.equal(editDistance("form", "from"), 1);
  assert.equal(editDistance("sned", "send"), 1);
  assert.equal(closest("form", ["from", "file", "json"]), "from");
  assert.equal(closest("regsiter", ["register", "deregister"]), "register");
  assert.equal(closest("exp", ["expect-reply", "private"]), "expect-reply");
  assert.equal(closest("zzz", ["send", "who"]), undefined);
  assert.equal(closest("x", ["who"]), undefined);
});

/** Copies this program without the given folders, to a temp dir. */
async function copyWithout(drop: string[]): Promise<string> {
  const root = fromFileUrl(new URL("..", import.meta.url));
  const dir = await Deno.makeTempDir({ prefix: "agent-mesh-cheap-" });
  const copy = async (rel: string) => {
    if (drop.includes(rel)) return;
    const from = join(root, rel);
    if ((await Deno.stat(from)).isDirectory) {
      await Deno.mkdir(join(dir, rel), { recursive: true });
      for await (const e of Deno.readDir(from)) await copy(join(rel, e.name));
    } else await Deno.copyFile(from, join(dir, rel));
  };
  for (const rel of ["main.ts", "deno.json", "commands", "lib"]) await copy(rel);
  return dir;
}

async function run(dir: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(dir, "main.ts"), ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("--help loads no store, mesh, MCP or driver module; --version loads no command", async () => {
  // The heavy modules are gone from this copy: help that touched them would fail.
  const light = await copyWithout([join("lib", "mesh"), join("lib", "store"), "mcp"]);
  const noCommands = await copyWithout(["commands"]);
  try {
    for (
      const args of [["--help"], ["send", "--help"], ["serve", "-h"], ["help", "json"], [
        "help",
        "setup",
      ]]
    ) {
      const r = await run(light, args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stdout, /--json/);
    }
    const bad = await run(light, ["demo", "--bogus"]);
    assert.equal(bad.code, 2, bad.stderr);
    const v = await run(noCommands, ["--version"]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^agent-mesh \d/);
  } finally {
    await Deno.remove(light, { recursive: true });
    await Deno.remove(noCommands, { recursive: true });
  }
});
