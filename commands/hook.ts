import { isUserError, UsageError } from "../lib/errors.ts";
import { checkName, ROLE_MAX } from "../lib/names.ts";
import { defineCommand } from "./_cli/define.ts";
import { obj, str } from "./_cli/shape.ts";

async function writeAll(file: { write(p: Uint8Array): Promise<number> }, text: string) {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/**
 * `agent-mesh hook EVENT --as NAME`, run by Claude Code with the hook's JSON on
 * stdin. Exit 2 means "wake the session" to Claude Code (and blocks a prompt),
 * so every failure of the hook itself exits 1, with one line on stderr.
 */
export default defineCommand({
  name: "hook",
  summary: "run a Claude Code hook for agent NAME (written by setup claude-code)",
  args: [{
    name: "EVENT",
    help: "SessionStart, UserPromptSubmit, PostToolUse, Stop or SessionEnd",
  }],
  flags: {
    as: {
      type: "string",
      value: "NAME",
      help: "the agent this Claude Code session is (default: $AGENT_MESH_AGENT)",
    },
    role: {
      type: "string",
      value: "TEXT",
      maxLength: ROLE_MAX,
      help: "the role registered at SessionStart",
    },
  },
  output: obj({ hookSpecificOutput: obj({ hookEventName: str, additionalContext: str }) }),
  description: "Reads the hook's JSON on stdin. SessionStart registers NAME and injects\n" +
    "what waits (messages, requests still waiting for an answer, replies owed);\n" +
    "UserPromptSubmit and PostToolUse inject the messages that arrived since;\n" +
    "Stop (async, asyncRewake) waits for the next message and wakes the idle\n" +
    "session with it (exit 2); SessionEnd deregisters NAME. Failures exit 1, never 2.",
  async run(ctx) {
    try {
      const lib = await ctx.lib();
      const event = lib.checkEvent(ctx.args.EVENT);
      const name = ctx.flags.as ?? Deno.env.get("AGENT_MESH_AGENT");
      if (!name) throw new UsageError('Missing --as NAME (see "agent-mesh help hook")');
      checkName(name, "--as name");
      const role = ctx.flags.role;
      const input = lib.parseHookInput(await lib.readHookInput());
      const result = await lib.runHook({
        mesh: await ctx.mesh(),
        name,
        role,
        event,
        input,
        signal: ctx.signal,
        entrypoint: Deno.env.get("CLAUDE_CODE_ENTRYPOINT"),
        writeOut: (text) => writeAll(Deno.stdout, text),
        writeErr: (text) => writeAll(Deno.stderr, text),
      });
      return result.code;
    } catch (err) {
      const message = isUserError(err)
        ? err.message
        : `unexpected error: ${(err as Error)?.message}`;
      console.error(`agent-mesh hook: ${message.replace(/\s*\n\s*/g, " ")}`);
      return 1;
    }
  },
});
