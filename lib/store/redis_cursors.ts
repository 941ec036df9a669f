/**
 * Where the original tool left off: its listeners kept a cursor file per agent
 * (inbox, and group stream) in the home. When agent-mesh creates an agent's
 * consumer group on a Redis the original used, the group starts there, so that
 * moving an agent over neither replays nor skips anything.
 */
import { agentFile } from "../paths.ts";

/** The original's saved cursor for `stream`/`group` of this mesh, or null. */
export type OriginalCursor = (stream: string, group: string) => string | null;

/** The cursors of the mesh with `prefix` whose home is `home`. */
export function originalCursors(home: string, prefix: string): OriginalCursor {
  return (stream, group) => {
    const name = group.startsWith("agent-mesh:") ? group.slice("agent-mesh:".length) : null;
    if (!name) return null;
    const kind = stream === `${prefix}:to_${name}`
      ? "cursor"
      : stream === `${prefix}:group`
      ? "groupCursor"
      : null;
    if (!kind) return null;
    try {
      const id = Deno.readTextFileSync(agentFile(home, kind, name)).trim();
      return /^\d+-\d+$/.test(id) ? id : null;
    } catch {
      return null;
    }
  };
}
