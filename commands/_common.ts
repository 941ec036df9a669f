/**
 * Flags, arguments and checks shared by the commands that send: one sender rule,
 * one way to give a message, one warning for a target nobody knows.
 */
import { inline } from "../lib/text/safe_text.ts";
import type { Mesh } from "../lib/mesh/mesh.ts";
import type { ArgSpec, BooleanFlag, RunContext, SenderFlag, StringFlag } from "./_cli/define.ts";
import { UnknownAgentError } from "./_cli/errors.ts";
import { closest } from "./_cli/suggest.ts";

/** `--from NAME`: the sender, else `AGENT_MESH_AGENT`, else the anonymous `cli`. */
export const FROM: SenderFlag = {
  type: "sender",
  help: "who sends (default: $AGENT_MESH_AGENT, else the anonymous cli)",
};

/** `--file PATH`: the message from a file. */
export const FILE: StringFlag = {
  type: "string",
  value: "PATH",
  help: "read the message from this file (trailing newlines dropped)",
};

/** `--strict`: refuse a target nobody knows. */
export const STRICT: BooleanFlag = {
  type: "boolean",
  help:
    "refuse (exit 1, nothing sent) a target that is neither registered nor has an inbox;\nwithout it, such a target gets a warning on stderr",
};

/** A message argument: as given, `-` for standard input, or `--file PATH`. */
export function messageArg(name = "MESSAGE"): ArgSpec {
  return {
    name,
    type: "text",
    file: "file",
    help: 'the text ("-" reads it from standard input; or give --file PATH)',
  };
}

function listed(names: string[]): string {
  const shown = names.slice(0, 10).map(inline).join(", ");
  return names.length > 10 ? `${shown}, … (${names.length} in all)` : shown;
}

/**
 * Warns on stderr when `to` is neither registered nor has an inbox, naming the
 * agents that exist; with `strict`, refuses instead (exit 1, nothing sent).
 */
export async function checkTarget(
  ctx: RunContext,
  mesh: Mesh,
  to: string,
  strict: boolean,
): Promise<void> {
  // The usual case in one round trip: a registration or an inbox makes `to` known. Only
  // an unknown name pays for listing every agent (two scans, slow on a big Redis).
  let names: string[];
  try {
    const [registered, inbox] = await Promise.all([
      mesh.store.get(mesh.keys.registry(to)),
      mesh.store.length(mesh.keys.inbox(to)),
    ]);
    if (registered !== null || inbox > 0) return;
    const { who } = await ctx.lib();
    names = (await who(mesh, true)).map((a) => a.agent);
  } catch (err) {
    // A look the store refuses (a Redis ACL user may not read others' inboxes) is only a
    // warning lost; --strict cannot check, so it refuses.
    if (strict) throw err;
    return;
  }
  if (names.includes(to)) return;
  const known = names.length ? `known: ${listed(names)}` : "no agent is known on this mesh yet";
  const hit = closest(to, names);
  const why = `${hit === undefined ? "" : `did you mean ${inline(hit)}? `}${known}`;
  if (strict) {
    throw new UnknownAgentError(
      `Unknown agent "${to}": not registered and no inbox (${why}); nothing sent`,
    );
  }
  ctx.note(`Warning: "${to}" is not registered and has no inbox (${why}; --strict refuses)`);
}
