/**
 * Smoke tests of the Claude Code harness (tests/harness/claude/), with the real client
 * against the stand-in model: one-shot and interactive sessions, and the hook facts the
 * agent-mesh hooks rely on (context from UserPromptSubmit and PostToolUse reaches the model,
 * an async Stop hook that exits 2 wakes an idle session).
 */
import assert from "node:assert/strict";
import {
  type ClaudeHome,
  lastPrompt,
  makeHome,
  runPrint,
  startInteractive,
  startModel,
  stepOfTurn,
  textOf,
  toolResults,
  turnScript,
  waitForFile,
} from "./harness/claude/mod.ts";
import { skipClaude } from "./harness/claude/skip.ts";
import { fromFileUrl } from "./harness/paths.ts";

const STUB = fromFileUrl(new URL("./harness/claude/stub_mcp.ts", import.meta.url));

const ignore = skipClaude();
const OPTS = { ignore, sanitizeOps: true, sanitizeResources: true };

/** A marker no request can hold by chance. */
const marker = (what: string) => `${what}-${crypto.randomUUID().slice(0, 8)}`;

/** Settings with one command hook for `event`. */
function hookSettings(event: string, command: string, extra: Record<string, unknown> = {}) {
  return { hooks: { [event]: [{ matcher: "", hooks: [{ type: "command", command, ...extra }] }] } };
}

/** Writes an `sh` hook that prints `json` on stdout; returns its command. */
async function printingHook(home: ClaudeHome, name: string, json: unknown): Promise<string> {
  const path = await home.writeProjectFile(
    `hooks/${name}.sh`,
    `#!/bin/sh\ncat >/dev/null\nprintf '%s' '${JSON.stringify(json)}'\n`,
    0o755,
  );
  return `sh ${path}`;
}

Deno.test("claude -p against the stand-in model prints the scripted answer", OPTS, async () => {
  const answer = marker("ANSWER");
  await using model = startModel({ script: (r) => r.isTurn ? answer : undefined });
  await using home = await makeHome({ modelUrl: model.url });
  const out = await runPrint(home, "Say the answer");
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim(), answer);
  const turn = await model.waitForRequest((r) => r.isTurn, 1000);
  assert.equal(lastPrompt(turn).includes("Say the answer"), true);
  assert.equal(turn.query, "?beta=true");
});

Deno.test(
  "an interactive session gets a UserPromptSubmit hook's context in the next request",
  OPTS,
  async () => {
    const context = marker("PROMPT-CONTEXT");
    await using model = startModel();
    await using home = await makeHome({ modelUrl: model.url });
    const command = await printingHook(home, "prompt", {
      hookSpecificOutput: { hookEventName: "UserPromptSubmit", additionalContext: context },
    });
    await home.setProjectSettings(hookSettings("UserPromptSubmit", command));
    await using session = await startInteractive(home);
    await session.waitReady();
    await session.submit("first prompt");
    const req = await model.waitForRequest((r) =>
      r.isTurn && lastPrompt(r).includes("first prompt")
    );
    assert.ok(
      req.text.includes(`UserPromptSubmit hook additional context: ${context}`),
      req.text.slice(-600),
    );
    await session.waitForPane("OK.");
  },
);

Deno.test(
  "a PostToolUse hook's context reaches a later request of the same turn",
  OPTS,
  async () => {
    const tag = marker("TOOL-CONTEXT");
    await using model = startModel();
    await using home = await makeHome({ modelUrl: model.url });
    const notes = await home.writeProjectFile("notes.txt", "harmless\n");
    // Each call prints a numbered context: TAG-1, then TAG-2.
    const hook = await home.writeProjectFile(
      "hooks/post.sh",
      `#!/bin/sh\ncat >/dev/null\nn=$(($(cat "$0.n" 2>/dev/null || echo 0) + 1)); echo $n >"$0.n"\n` +
        `printf '{"hookSpecificOutput":{"hookEventName":"PostToolUse","additionalContext":"${tag}-%s"}}' $n\n`,
      0o755,
    );
    await home.setProjectSettings({
      hooks: {
        PostToolUse: [{ matcher: "Read", hooks: [{ type: "command", command: `sh ${hook}` }] }],
      },
    });
    model.setScript(turnScript([
      { tool: "Read", input: { file_path: notes } },
      { tool: "Read", input: { file_path: notes } },
      "Both read.",
    ]));
    const out = await runPrint(home, "Read the notes twice", { allowedTools: ["Read"] });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), "Both read.");
    const turn = model.requests.filter((r) => r.isTurn);
    assert.deepEqual(turn.map(stepOfTurn), [0, 1, 2], model.describe());
    assert.ok(!turn[0].text.includes(tag));
    assert.ok(turn[1].text.includes(`${tag}-1`), turn[1].text.slice(-600));
    assert.ok(!turn[1].text.includes(`${tag}-2`));
    assert.ok(turn[2].text.includes(`${tag}-2`), turn[2].text.slice(-600));
  },
);

Deno.test("an idle session is woken by an async Stop hook that exits 2", OPTS, async () => {
  const wakeText = marker("WAKE");
  await using model = startModel();
  await using home = await makeHome({ modelUrl: model.url });
  const dir = `${home.project}/stop`;
  await Deno.mkdir(dir);
  // Waits for `wake` (taken by an atomic rename, so a later Stop hook does not take it again),
  // prints its text on stderr and exits 2.
  const hook = await home.writeProjectFile(
    "hooks/stop.ts",
    `const dir = Deno.args[0];
await Deno.writeTextFile(dir + "/started", await new Response(Deno.stdin.readable).text() + "\\n", { append: true });
const watcher = Deno.watchFs(dir);
const take = async () => {
  try {
    await Deno.rename(dir + "/wake", dir + "/wake.taken." + Deno.pid);
  } catch {
    return false;
  }
  console.error(await Deno.readTextFile(dir + "/wake.taken." + Deno.pid));
  Deno.exit(2);
};
await take();
for await (const _ of watcher) await take();
`,
  );
  await home.setProjectSettings(
    hookSettings("Stop", `deno run -A ${hook} ${dir}`, { async: true, asyncRewake: true }),
  );
  await using session = await startInteractive(home);
  await session.waitReady();
  await session.submit("go idle");
  await model.waitForRequest((r) => r.isTurn && lastPrompt(r).includes("go idle"));
  // The Stop hook started: the turn is over and the session idle.
  await waitForFile(`${dir}/started`, 60_000, session.capture);
  const before = model.requests.length;
  await Deno.writeTextFile(`${dir}/wake.tmp`, wakeText);
  await Deno.rename(`${dir}/wake.tmp`, `${dir}/wake`);
  const woken = await model.waitForRequest(
    (r) => r.isTurn && r.text.includes(wakeText),
    60_000,
    before,
  );
  assert.match(woken.text, /Stop hook/);
});

Deno.test(
  "an interactive session waits for a .mcp.json server and calls its tool",
  OPTS,
  async () => {
    await using model = startModel();
    await using home = await makeHome({
      modelUrl: model.url,
      // Approves the .mcp.json server and lets its tool run without a permission dialog.
      userSettings: {
        enabledMcpjsonServers: ["stub"],
        permissions: { allow: ["mcp__stub__ping"] },
      },
    });
    const log = `${home.home}/stub.jsonl`;
    await home.writeProjectFile(".mcp.json", {
      mcpServers: { stub: { command: "deno", args: ["run", "-A", STUB, log] } },
    });
    model.setScript(turnScript([{ tool: "mcp__stub__ping" }, "pinged"]));
    await using session = await startInteractive(home);
    await session.waitReady();
    await session.waitForMcp("stub");
    await session.submit("ping the stub");
    const result = await model.waitForRequest((r) => toolResults(r).length > 0);
    assert.ok(result.tools.includes("mcp__stub__ping"), result.tools.join(", "));
    assert.equal(textOf(toolResults(result)), "pong");
    assert.match(await Deno.readTextFile(log), /"method":"tools\/call"/);
    await session.waitForPane("● pinged");
  },
);

Deno.test("the stand-in model streams a scripted tool call and records what it was sent", async () => {
  await using model = startModel({
    script: turnScript([{ tool: "mcp__x__y", input: { a: 1 } }, "done"]),
  });
  const body = (messages: unknown[]) =>
    JSON.stringify({ model: "m", stream: true, tools: [{ name: "mcp__x__y" }], messages });
  const post = (path: string, b: string) =>
    fetch(`${model.url}${path}`, { method: "POST", body: b }).then((r) => r.text());
  const first = await post("/v1/messages?beta=true", body([{ role: "user", content: "go" }]));
  const events = [...first.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
  assert.deepEqual(events, [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
  ]);
  assert.match(first, /"partial_json":"\{\\"a\\":1\}"/);
  assert.match(first, /"stop_reason":"tool_use"/);
  const id = first.match(/"id":"(toolu_\w+)"/)![1];
  const second = await post(
    "/v1/messages?beta=true",
    body([
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: [{ type: "tool_use", id, name: "mcp__x__y", input: { a: 1 } }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "r" }] },
    ]),
  );
  assert.match(second, /"text_delta","text":"done"/);
  assert.match(second, /"stop_reason":"end_turn"/);
  const count = await post("/v1/messages/count_tokens", "{}");
  assert.ok(JSON.parse(count).input_tokens >= 0);
  const turns = model.requests.filter((r) => r.isTurn);
  assert.deepEqual(turns.map(stepOfTurn), [0, 1]);
  assert.equal(model.requestsContaining("go").length, 2);
  const seen = await model.waitForRequest((r) => r.path.endsWith("count_tokens"), 1000);
  assert.equal(seen.index, 2);
  await assert.rejects(model.waitForRequest(() => false, 50), /No matching model request/);
});
