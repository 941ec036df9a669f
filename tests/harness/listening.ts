/**
 * Readiness of readers: the heartbeat that `who` shows while something listens for
 * a name. A reader writes it just before its blocking read and removes it once the
 * read ended, so a test waits on it instead of pausing "until the listener is
 * blocked" or "until the server dropped the wait".
 */
import { openEnvMesh } from "./mcp_probe.ts";
import { eventually } from "./timing.ts";

/** One heartbeat: how the name is listened for (`listen`, `mesh_listen`, ...) and by whom. */
export interface Heartbeat {
  via: string;
  pid: number;
}

/**
 * Polls the heartbeats of `names` in the mesh that `env` selects until `done`
 * accepts them (null: nobody listens); bounded, returns them.
 */
export async function untilHeartbeats(
  env: Record<string, string>,
  names: string[],
  done: (beats: (Heartbeat | null)[]) => boolean,
  what: string,
): Promise<(Heartbeat | null)[]> {
  await using probe = await openEnvMesh(env);
  // The key of lib/mesh/presence.ts (markListening), which does not export a reader.
  const keys = names.map((n) => `${probe.keys.prefix}:am:listening:${n}`);
  return await eventually(
    async () => (await probe.store.getMany(keys)).map((raw) => raw ? JSON.parse(raw) : null),
    done,
    what,
  );
}

/** Resolves once something listens for every one of `names` through `via`; bounded. */
export async function untilListening(
  env: Record<string, string>,
  names: string | string[],
  via: string,
): Promise<void> {
  const all = typeof names === "string" ? [names] : names;
  await untilHeartbeats(
    env,
    all,
    (beats) => beats.every((b) => b?.via === via),
    `${all.length === 1 ? all[0] : `${all.length} names`} listened for through ${via}`,
  );
}

/** Resolves once nothing listens for `name` any more (its reader's wait ended); bounded. */
export async function untilNotListening(env: Record<string, string>, name: string): Promise<void> {
  await untilHeartbeats(env, [name], ([b]) => b === null, `the wait for ${name} ended`);
}
