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
  turnScript,
  waitForFile,
} from "./harness/claude/mod.ts";
import { skipClaude } from "./harness/claude/skip.ts";

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
    assert.ok(req.text.includes(`UserPromptSubmit hook additional context: ${context}`), req.text);
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
    assert.ok(turn[1].text.includes(`${tag}-1`), turn[1].text);
    assert.ok(!turn[1].text.includes(`${tag}-2`));
    assert.ok(turn[2].text.includes(`${tag}-2`), turn[2].text);
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
