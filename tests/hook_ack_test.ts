/**
 * A hook acknowledges a message only once its output was written: a hook whose
 * output cannot be written (Claude Code gone, its pipe closed) leaves the message
 * for the next reader. Each hook that shows messages runs in-process on a real
 * store with a writer that fails; then hooks that can write run until one shows
 * the message, which an unacknowledged message is once its lease (1 s, the
 * least) runs out, and an acknowledged one never is.
 */
import assert from "node:assert/strict";
import { type HookRun, runHook } from "../lib/hooks/run.ts";
import type { HookEvent } from "../lib/hooks/input.ts";
import { onEngines } from "./harness/in_process.ts";
import { eventually } from "./harness/timing.ts";

const broken = () => Promise.reject(new Error("Broken pipe (os error 32)"));

for (const event of ["UserPromptSubmit", "PostToolUse", "Stop"] as HookEvent[]) {
  onEngines(
    `a ${event} hook that cannot write its output acknowledges nothing`,
    { AGENT_MESH_LEASE_S: "1" },
    async (_opened, _config, mesh) => {
      await mesh.send({ from: "bob", to: "alice", text: "kept for the next hook" });
      // A Stop hook waits for a message: bounded, so that one never given out
      // again ends the test (as a failure) rather than stalling it.
      const run = (writeOut: HookRun["writeOut"], writeErr: HookRun["writeErr"]) =>
        runHook({
          mesh,
          name: "alice",
          event,
          input: { sessionId: "s1" },
          signal: AbortSignal.timeout(15_000),
          entrypoint: "cli",
          writeOut,
          writeErr,
        });
      await assert.rejects(() => run(broken, broken), /Broken pipe/);
      const shown = await eventually(
        async () => {
          let out = "";
          const keep = (text: string) => {
            out += text;
            return Promise.resolve();
          };
          await run(keep, keep);
          return out;
        },
        (out) => out.includes("kept for the next hook"),
        "the message shown by the next hook",
        30_000,
      );
      assert.match(shown, /kept for the next hook/);
    },
  );
}
