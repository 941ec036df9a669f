/**
 * The mesh of a test opened in the test process, and a probe that tells which
 * messages of an inbox are not acknowledged, at once, without waiting for a
 * lease to run out.
 */
import { loadConfig } from "../../lib/config.ts";
import { Mesh } from "../../lib/mesh/mesh.ts";
import { type Message, parseEntry } from "../../lib/mesh/message.ts";
import { openStore } from "../../lib/store/open.ts";

/** Opens the mesh that `env` selects (as a spawned process would), closed on dispose. */
export async function openEnvMesh(
  env: Record<string, string>,
  leaseMs?: number,
): Promise<Mesh & AsyncDisposable> {
  const loaded = loadConfig((name) => env[name]);
  const config = leaseMs === undefined ? loaded : { ...loaded, leaseMs };
  const mesh = new Mesh(await openStore(config), config);
  return Object.assign(mesh, {
    async [Symbol.asyncDispose]() {
      await mesh.store.close();
    },
  });
}

/**
 * The messages of `name`'s inbox that nobody acknowledged (taken and not acked,
 * or never taken), oldest first. It takes them without acknowledging: they stay
 * unacknowledged, for the next listener.
 */
export async function unacknowledged(
  env: Record<string, string>,
  name: string,
): Promise<Message[]> {
  await using probe = await openEnvMesh(env);
  const { store, keys } = probe;
  const group = keys.consumerGroup(name);
  const inbox = keys.inbox(name);
  await store.ensureGroup(inbox, group, "0");
  // A lease of 0 gives back every entry taken and not acknowledged; a lease of an
  // hour gives back none of them, only the entries never taken.
  const taken = await store.consume(group, [inbox], { count: 10_000, leaseMs: 0 });
  const fresh = await store.consume(group, [inbox], { count: 10_000, leaseMs: 3_600_000 });
  const found = new Map<string, Message>();
  for (const batch of [...taken, ...fresh]) {
    for (const entry of batch.entries) {
      const parsed = parseEntry(entry);
      if (parsed?.kind === "message") found.set(entry.id, parsed.message);
    }
  }
  return [...found.entries()].sort(([a], [b]) => compareIds(a, b)).map(([, m]) => m);
}

/** Orders stream ids ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(Number);
  const [bm, bs] = b.split("-").map(Number);
  return am - bm || as - bs;
}
