/**
 * Re-measures the Claude Code client facts written in README.md (next to this file), with the
 * installed client against the stand-in model: `deno run -A tests/harness/claude/measure.ts
 * [NAME...]` prints one JSON result per measurement (all but `timeout-default` when no NAME).
 * Run it after changing the pinned client version and update the README from its output.
 */
import { fromFileUrl } from "../paths.ts";
import {
  type ClaudeHome,
  type HomeOptions,
  isRunning,
  makeHome,
  runPrint,
  type StandInModel,
  startInteractive,
  startModel,
  textOf,
  turnScript,
  waitUntil,
} from "./mod.ts";
import { claudeVersion } from "./skip.ts";

const PROBE = fromFileUrl(new URL("./probe_hook.ts", import.meta.url));
const STUB = fromFileUrl(new URL("./stub_mcp.ts", import.meta.url));

// deno-lint-ignore no-explicit-any
type Rec = Record<string, any>;

/** The records a probe hook (or the stub server) appended to `path`. */
function records(path: string): Rec[] {
  try {
    return Deno.readTextFileSync(path).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

const probe = (log: string, mode = "", arg = "") =>
  `deno run -A ${PROBE} ${log} ${mode} ${arg}`.trim();

/** Settings whose hooks are `{EVENT: command or hook entry}`, each with matcher "". */
function hookSettings(events: Record<string, string | Rec>) {
  return {
    hooks: Object.fromEntries(
      Object.entries(events).map(([event, h]) => [
        event,
        [{ matcher: "", hooks: [typeof h === "string" ? { type: "command", command: h } : h] }],
      ]),
    ),
  };
}

/** A stand-in model and a home with `options`, both disposed after `fn`. */
async function withHome<T>(
  options: Omit<HomeOptions, "modelUrl">,
  fn: (home: ClaudeHome, model: StandInModel, log: string) => Promise<T>,
): Promise<T> {
  await using model = startModel();
  await using home = await makeHome({ ...options, modelUrl: model.url });
  return await fn(home, model, `${home.home}/probe.jsonl`);
}

/** `s` with the temp home's path replaced by `$HOME`. */
const relative = (home: ClaudeHome, value: unknown) =>
  JSON.parse(JSON.stringify(value).replaceAll(home.home, "$HOME"));

/** Which process runs a hook, for each way of writing its command. */
async function tree() {
  return await withHome({}, async (home, _model, log) => {
    const sh = await home.writeProjectFile(
      "probe.sh",
      `#!/bin/sh\ncat >/dev/null\nprintf '{"kind":"sh","pid":%s,"ppid":%s,"parent":"%s"}\\n' $$ $PPID ` +
        `"$(tr '\\0' ' ' </proc/$PPID/cmdline)" >>"$1"\n`,
      0o755,
    );
    const commands = [probe(log), `exec ${probe(log)}`, `${sh} ${log}`, `sh ${sh} ${log}`];
    await home.setProjectSettings({
      hooks: {
        UserPromptSubmit: [{
          matcher: "",
          hooks: commands.map((command) => ({ type: "command", command })),
        }],
      },
    });
    await runPrint(home, "hi");
    return relative(
      home,
      records(log).map((r) => ({
        kind: r.kind,
        parent: r.parent,
        grandparent: r.grandparentCmd,
        ownSession: r.sid === r.pgid,
      })),
    );
  });
}

/** The stdin and the added environment of each hook event, in an interactive session. */
async function events() {
  return await withHome({}, async (home, model, log) => {
    const notes = await home.writeProjectFile("notes.txt", "x\n");
    await home.setProjectSettings(hookSettings({
      SessionStart: probe(log),
      UserPromptSubmit: probe(log),
      PostToolUse: probe(log),
      Stop: probe(log),
      SessionEnd: probe(log),
    }));
    model.setScript(turnScript([{ tool: "Read", input: { file_path: notes } }, "done"]));
    await using session = await startInteractive(home);
    await session.waitReady();
    await session.submit("read the notes");
    await waitUntil(
      "Stop hook",
      60_000,
      () => records(log).find((r) => r.input?.hook_event_name === "Stop"),
    );
    await session.submit("/exit");
    await session.waitExit();
    await waitUntil(
      "SessionEnd hook",
      30_000,
      () => records(log).find((r) => r.input?.hook_event_name === "SessionEnd"),
    );
    const paneEnv = new Set(["TMUX", "TMUX_PANE", "TERM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION"]);
    return relative(
      home,
      records(log).map((r) => ({
        event: r.input?.hook_event_name,
        stdin: r.input,
        addedEnv: Object.fromEntries(
          Object.entries(r.env as Record<string, string>).filter(([k, v]) =>
            home.env[k] !== v && !paneEnv.has(k)
          ),
        ),
      })),
    );
  });
}

/**
 * What happens to an async rewake Stop hook still running when the client ends by `/exit`,
 * SIGTERM, SIGHUP or SIGKILL: signals, reparenting, pipes, and the SessionEnd reason.
 */
async function end() {
  const out = [];
  for (const how of ["exit", "SIGTERM", "SIGHUP", "SIGKILL", "SIGKILL exec"]) {
    out.push(
      await withHome({}, async (home, _model, log) => {
        const exec = how.endsWith("exec") ? "exec " : "";
        await home.setProjectSettings(hookSettings({
          SessionEnd: probe(log),
          Stop: {
            type: "command",
            command: exec + probe(log, "linger"),
            async: true,
            asyncRewake: true,
          },
        }));
        await using session = await startInteractive(home);
        await session.waitReady();
        await session.submit("hello");
        const stop = await waitUntil(
          "Stop hook",
          60_000,
          () => records(log).find((r) => r.kind === "start" && r.input?.hook_event_name === "Stop"),
        );
        if (how === "exit") await session.submit("/exit");
        else session.kill(how.split(" ")[0] as Deno.Signal);
        const code = await session.waitExit();
        // A reparenting is the last thing to wait for; SessionEnd (if any) runs before exit.
        await waitUntil(
          "reparenting",
          10_000,
          () => records(log).find((r) => r.kind === "reparented"),
        )
          .catch(() => null);
        const hookAlive = isRunning(stop.pid);
        Deno.writeTextFileSync(`${log}.release`, "");
        await waitUntil("release", 10_000, () => records(log).find((r) => r.kind === "released"))
          .catch(() => null);
        const recs = records(log);
        return {
          how,
          exitStatus: code,
          sessionEnd: recs.find((r) => r.input?.hook_event_name === "SessionEnd")?.input.reason ??
            null,
          stopHookParent: stop.parent.split(" ")[0],
          stopHookAliveAfterExit: hookAlive,
          stopHookSignals: recs.filter((r) => r.kind === "signal").map((r) => r.sig),
          reparented: recs.find((r) => r.kind === "reparented") ?? null,
        };
      }),
    );
  }
  return out;
}

/** A rewake: its latency, the UserPromptSubmit it runs, and the next Stop hook. */
async function rewake() {
  return await withHome({}, async (home, model, log) => {
    await home.setProjectSettings(hookSettings({
      UserPromptSubmit: probe(log),
      Stop: {
        type: "command",
        command: probe(log, "rewake", "WAKE-TEXT"),
        async: true,
        asyncRewake: true,
      },
    }));
    await using session = await startInteractive(home);
    await session.waitReady();
    await session.submit("hello");
    const stops = () =>
      records(log).filter((r) => r.kind === "start" && r.input?.hook_event_name === "Stop");
    await waitUntil("first Stop hook", 60_000, () => stops()[0]);
    const before = model.requests.length;
    const start = performance.now();
    Deno.writeTextFileSync(`${log}.release`, "");
    const woken = await model.waitForRequest((r) => r.text.includes("WAKE-TEXT"), 60_000, before);
    const latencyMs = Math.round(performance.now() - start);
    await waitUntil("second Stop hook", 60_000, () => stops()[1]);
    const prompts = records(log).filter((r) => r.input?.hook_event_name === "UserPromptSubmit");
    return {
      releaseToRequestMs: latencyMs,
      lastMessage: woken.body.messages.at(-1),
      userPromptSubmitPrompts: prompts.map((r) => r.input.prompt),
      stopHookActive: stops().map((r) => r.input.stop_hook_active),
    };
  });
}

/**
 * Async rewake Stop hooks of successive turns: does a new one replace the old? And a rewake
 * while a turn runs: is it injected into that turn, or does it start the next one?
 */
async function busy() {
  return await withHome({}, async (home, model, log) => {
    const notes = await home.writeProjectFile("notes.txt", "x\n");
    await home.setProjectSettings(hookSettings({
      Stop: {
        type: "command",
        command: probe(log, "rewake", "BUSY-WAKE"),
        async: true,
        asyncRewake: true,
      },
    }));
    await using session = await startInteractive(home);
    await session.waitReady();
    const stops = () =>
      records(log).filter((r) => r.kind === "start" && r.input?.hook_event_name === "Stop");
    await session.submit("one");
    const first = await waitUntil("first Stop hook", 60_000, () => stops()[0]);
    await session.submit("two");
    const second = await waitUntil("second Stop hook", 60_000, () => stops()[1]);
    const bothAlive = isRunning(first.pid) && isRunning(second.pid);
    // Turn three: a tool call whose first answer waits until the first hook has exited 2.
    model.setScript(async (req) => {
      if (!req.isTurn || !req.text.includes("three")) return undefined;
      if (req.body.messages.at(-1)?.content?.some?.((b: Rec) => b.type === "tool_result")) {
        return "three done";
      }
      Deno.writeTextFileSync(`${log}.release.${first.pid}`, "");
      await waitUntil("release", 10_000, () => isRunning(first.pid) ? null : true);
      // Measurement only: leave the client a moment to take the hook's exit in.
      await new Promise((r) => setTimeout(r, 1000));
      return { tool: "Read", input: { file_path: notes } };
    });
    const before = model.requests.length;
    await session.submit("three");
    const woken = await model.waitForRequest((r) => r.text.includes("BUSY-WAKE"), 60_000, before);
    const shape = (m: Rec) =>
      `${m.role}:${
        typeof m.content === "string"
          ? "text"
          : m.content.map((b: Rec) => b.type === "text" ? textOf(b.text).slice(0, 30) : b.type)
            .join("+")
      }`;
    return {
      stopHooksOfTwoTurnsBothAlive: bothAlive,
      // The woken request's last messages: a tool_result of turn three before the wake text
      // means the wake joined the running turn.
      wokenTail: woken.body.messages.slice(-4).map(shape),
      wokenLastMessage: woken.body.messages.at(-1),
      requests: model.describe(),
      aliveStopHooks: stops().filter((r) => isRunning(r.pid)).length,
    };
  });
}

/** Whether and how an async Stop hook is ended after its `timeout`. */
async function timeout(variants = [
  { timeout: 3, asyncRewake: true, mode: "linger", watchS: 15 },
  { timeout: 3, asyncRewake: true, mode: "stubborn", watchS: 15 },
  { timeout: 3, asyncRewake: false, mode: "linger", watchS: 15 },
] as { timeout?: number; asyncRewake: boolean; mode: string; watchS: number }[]) {
  const out = [];
  for (const v of variants) {
    out.push(
      await withHome({}, async (home, model, log) => {
        await home.setProjectSettings(hookSettings({
          Stop: {
            type: "command",
            command: probe(log, v.mode),
            async: true,
            asyncRewake: v.asyncRewake,
            ...(v.timeout ? { timeout: v.timeout } : {}),
          },
        }));
        await using session = await startInteractive(home);
        await session.waitReady();
        await session.submit("hello");
        const stop = await waitUntil(
          "Stop hook",
          60_000,
          () => records(log).find((r) => r.kind === "start"),
        );
        const gone = await waitUntil(
          "hook end",
          v.watchS * 1000,
          () => isRunning(stop.pid) ? null : Date.now(),
        ).catch(() => null);
        const signal = records(log).find((r) => r.kind === "signal");
        Deno.writeTextFileSync(`${log}.release`, "");
        return {
          ...v,
          signal: signal?.sig ?? null,
          signalAfterStartMs: signal ? signal.t - stop.t : null,
          goneAfterStartMs: gone ? gone - stop.t : `alive after ${v.watchS} s`,
          modelRequestsAfter: model.requests.filter((r) => r.isTurn).length,
        };
      }),
    );
  }
  return out;
}

/** Which settings let a `.mcp.json` server in without a prompt, in -p and interactive mode. */
async function approval() {
  const variants: Record<string, Rec> = {
    "nothing (trusted folder)": {},
    "user settings enabledMcpjsonServers": { userSettings: { enabledMcpjsonServers: ["stub"] } },
    "project settings enabledMcpjsonServers": {
      projectSettings: { enabledMcpjsonServers: ["stub"] },
    },
    "project settings enableAllProjectMcpServers": {
      projectSettings: { enableAllProjectMcpServers: true },
    },
    "user settings enableAllProjectMcpServers": {
      userSettings: { enableAllProjectMcpServers: true },
    },
    "untrusted folder, nothing set": { trusted: false },
    "untrusted folder, user settings enabledMcpjsonServers": {
      trusted: false,
      userSettings: { enabledMcpjsonServers: ["stub"] },
    },
    "untrusted folder, project settings enableAllProjectMcpServers": {
      trusted: false,
      projectSettings: { enableAllProjectMcpServers: true },
    },
  };
  const out: Rec = {};
  for (const [name, v] of Object.entries(variants)) {
    const mcpJson = {
      mcpServers: { stub: { command: "deno", args: ["run", "-A", STUB, "/dev/null"] } },
    };
    const print = await withHome({ ...v, mcpJson }, async (home, model) => {
      await runPrint(home, "hi");
      return model.requests.find((r) => r.isTurn)?.tools.includes("mcp__stub__ping") ?? false;
    });
    const interactive = await withHome({ ...v, mcpJson }, async (home) => {
      await using session = await startInteractive(home);
      const dialog = session.waitForPane(/New MCP server found|Yes, I trust this folder/, 20_000)
        .then((pane) =>
          pane.includes("trust this folder") ? "trust dialog" : "MCP approval dialog"
        );
      const loaded = session.waitForMcp("stub", 20_000).then(() => "loaded without a prompt");
      return await Promise.any([dialog, loaded]).catch(() => "neither loaded nor asked");
    });
    const list = await withHome({ ...v, mcpJson }, async (home) => {
      const run = await new Deno.Command("claude", {
        args: ["mcp", "list"],
        cwd: home.project,
        env: home.env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
      }).output();
      return new TextDecoder().decode(run.stdout).split("\n").find((l) => l.startsWith("stub:"))
        ?.replace(/.* - /, "");
    });
    out[name] = { print: print ? "loaded" : "not loaded", interactive, "mcp list": list };
  }
  return out;
}

/** What `claude mcp list` and `claude mcp get` do to a stdio server. */
async function mcpList() {
  const out: Rec = {};
  for (const args of [["mcp", "list"], ["mcp", "get", "stub"]]) {
    out[args.join(" ")] = await withHome({}, async (home, _model, log) => {
      await home.writeProjectFile(".mcp.json", {
        mcpServers: { stub: { command: "deno", args: ["run", "-A", STUB, log] } },
      });
      await home.setUserSettings({ enabledMcpjsonServers: ["stub"] });
      const run = await new Deno.Command("claude", {
        args,
        cwd: home.project,
        env: home.env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
      }).output();
      await waitUntil(
        "stub end",
        10_000,
        () => records(log).find((r) => r.kind === "signal" || r.kind === "stdin-closed"),
      ).catch(() => null);
      const recs = records(log);
      return {
        exit: run.code,
        stdout: new TextDecoder().decode(run.stdout).trim(),
        server: recs.map((r) => ({
          afterMs: r.t - recs[0].t,
          kind: r.kind,
          ...(r.method ? { method: r.method } : {}),
          ...(r.sig ? { sig: r.sig } : {}),
          ...(r.parent ? { parent: r.parent } : {}),
        })),
      };
    });
  }
  return out;
}

/** The largest additionalContext that reaches the model whole, and what a larger one becomes. */
async function contextSize() {
  const out = [];
  for (const event of ["UserPromptSubmit", "SessionStart", "PostToolUse"]) {
    for (const size of [10_000, 10_001]) {
      out.push(
        await withHome({}, async (home, model, log) => {
          const notes = await home.writeProjectFile("notes.txt", "x\n");
          await home.setProjectSettings(
            hookSettings({ [event]: probe(log, "context-size", String(size)) }),
          );
          if (event === "PostToolUse") {
            model.setScript(turnScript([{ tool: "Read", input: { file_path: notes } }, "done"]));
          }
          await runPrint(home, "hi");
          const req = model.requests.filter((r) => r.isTurn).at(-1)!;
          const at = req.text.indexOf("<000000>");
          const tail = req.text.slice(at);
          const kept = tail.match(/^(<\d{6}>)*(<\d{0,6})?/)?.[0].length ?? 0;
          return {
            event,
            size,
            charsKept: kept,
            before: relative(home, req.text.slice(Math.max(0, at - 300), at)).split("\n\n").at(-1),
            after: relative(home, tail.slice(kept, kept + 40)),
          };
        }),
      );
    }
  }
  return out;
}

/** In -p mode: is a server whose tools/list answers late left out, with and without blocking? */
async function mcpWait() {
  const out = [];
  for (const delayMs of [1000, 3000]) {
    for (const blocking of [false, true]) {
      out.push(
        await withHome({
          env: blocking ? { MCP_CONNECTION_NONBLOCKING: "0" } : {},
          mcpJson: {
            mcpServers: {
              stub: {
                command: "deno",
                args: ["run", "-A", STUB, "/dev/null"],
                env: { STUB_TOOLS_DELAY_MS: String(delayMs) },
              },
            },
          },
        }, async (home, model) => {
          await runPrint(home, "hi");
          const offered = model.requests.find((r) => r.isTurn)?.tools.includes("mcp__stub__ping");
          return { delayMs, MCP_CONNECTION_NONBLOCKING: blocking ? "0" : "unset", offered };
        }),
      );
    }
  }
  return out;
}

/** SessionStart sources and SessionEnd reasons across /clear, /compact, --continue, --resume. */
async function sources() {
  return await withHome({}, async (home, model, log) => {
    await home.setProjectSettings(
      hookSettings({ SessionStart: probe(log), SessionEnd: probe(log) }),
    );
    const seen = (n: number) =>
      waitUntil(
        `${n} hook runs`,
        60_000,
        () => records(log).length >= n || null,
        () => JSON.stringify(records(log).map((r) => r.input?.hook_event_name)),
      );
    const turn = async (session: Awaited<ReturnType<typeof startInteractive>>, prompt: string) => {
      const before = model.requests.length;
      await session.submit(prompt);
      await model.waitForRequest((r) => r.isTurn && r.text.includes(prompt), 60_000, before);
      await session.waitForPane(/OK\.\n/);
    };
    const notes: string[] = [];
    let id = "";
    {
      await using session = await startInteractive(home);
      await session.waitReady();
      await seen(1);
      await turn(session, "first");
      await session.submit("/clear");
      await seen(3);
      for (const p of ["second", "third", "fourth"]) await turn(session, p);
      const n = records(log).length;
      await session.submit("/compact");
      await seen(n + 1).catch((e) => notes.push(`compact: ${e.message.split("\n")[0]}`));
      id = records(log).at(-1)!.input.session_id;
      await session.submit("/exit");
      await session.waitExit();
    }
    for (const args of [["--continue"], ["--resume", id]]) {
      const n = records(log).length;
      await using session = await startInteractive(home, { args });
      await session.waitReady();
      await seen(n + 1);
      session.kill("SIGTERM");
      await session.waitExit();
      await seen(n + 2).catch((e) => notes.push(`${args[0]}: ${e.message.split("\n")[0]}`));
    }
    return {
      runs: records(log).map((r) =>
        `${r.input.session_id.slice(0, 8)} ${r.input?.hook_event_name} ${
          r.input.source ?? r.input.reason
        }`
      ),
      notes,
    };
  });
}

const all: Record<string, () => Promise<unknown>> = {
  tree,
  events,
  end,
  rewake,
  busy,
  timeout: () => timeout(),
  approval,
  "mcp-list": mcpList,
  "context-size": contextSize,
  "mcp-wait": mcpWait,
  sources,
  // Waits up to 11 minutes: whether an async rewake Stop hook with no `timeout` is ended.
  "timeout-default": async () =>
    (await Promise.all([
      timeout([{ asyncRewake: true, mode: "linger", watchS: 660 }]),
      timeout([{ asyncRewake: false, mode: "linger", watchS: 660 }]),
    ])).flat(),
};

if (import.meta.main) {
  const names = Deno.args.length
    ? Deno.args
    : Object.keys(all).filter((n) => n !== "timeout-default");
  console.log(JSON.stringify({ claude: claudeVersion(), at: new Date().toISOString() }));
  for (const name of names) {
    const fn = all[name];
    if (!fn) {
      console.error(`Unknown measurement "${name}": one of ${Object.keys(all).join(", ")}`);
      Deno.exit(2);
    }
    const result = await fn().catch((e) => ({ error: String(e) }));
    console.log(`== ${name}\n${JSON.stringify(result, null, 2)}`);
  }
}
