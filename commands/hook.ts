import { parse, str } from "./_args.ts";
import { interruptSignal, withMesh } from "./_mesh.ts";
import { isUserError, UsageError } from "../lib/errors.ts";
import { checkName } from "../lib/names.ts";
import { checkEvent, parseHookInput, readStdin } from "../lib/hooks/input.ts";
import { runHook } from "../lib/hooks/run.ts";

async function writeAll(file: { write(p: Uint8Array): Promise<number> }, text: string) {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/**
 * `agent-mesh hook EVENT --as NAME [--role TEXT]`, run by Claude Code with the
 * hook's JSON on stdin. Exit 2 means "wake the session" to Claude Code (and
 * blocks a prompt), so every failure here exits 1, with one line on stderr.
 */
export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals: [rawEvent] } = parse("hook", argv, {
      as: { type: "string" },
      role: { type: "string" },
    }, ["EVENT"]);
    const event = checkEvent(rawEvent);
    const name = str(values.as) ?? Deno.env.get("AGENT_MESH_AGENT");
    if (!name) throw new UsageError('Missing --as NAME (see "agent-mesh help hook")');
    checkName(name, "--as name");
    const role = str(values.role);
    if (role !== undefined && role.length > 200) {
      throw new UsageError("Invalid --role: use text of at most 200 characters");
    }
    const input = parseHookInput(await readStdin());
    const interrupt = interruptSignal();
    try {
      const result = await withMesh((mesh) =>
        runHook({
          mesh,
          name,
          role,
          event,
          input,
          signal: interrupt.signal,
          entrypoint: Deno.env.get("CLAUDE_CODE_ENTRYPOINT"),
          writeOut: (text) => writeAll(Deno.stdout, text),
          writeErr: (text) => writeAll(Deno.stderr, text),
        })
      );
      return result.code;
    } finally {
      interrupt.dispose();
    }
  } catch (err) {
    const message = isUserError(err) ? err.message : `unexpected error: ${(err as Error)?.message}`;
    console.error(`agent-mesh hook: ${message.replace(/\s*\n\s*/g, " ")}`);
    return 1;
  }
}
