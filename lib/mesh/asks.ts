/**
 * Open requests: while an asker of agent-mesh waits for its reply it keeps a
 * record under `P:am:asking:<nonce>` (a key of our own: the original tool never
 * reads it), and marks it done when it stops waiting. A Claude Code session that
 * starts (or is compacted) is shown the requests still waiting for its answer,
 * and a reply to a request whose asker has gone is refused instead of lost.
 * Requests of the original tool have no record: they are answered as before.
 */
import type { SetOp } from "../store/port.ts";
import type { Mesh } from "./mesh.ts";

/** How long a finished request's record is kept, to tell a late replier, in seconds. */
export const DONE_TTL_S = 3600;

/** One request as its record keeps it. */
export interface Ask {
  nonce: string;
  from: string;
  to: string;
  /** The first 500 characters of the request. */
  text: string;
  reply_to: string;
  /** Unix seconds until which the asker waits. */
  until: number;
  /** "waiting" while the asker waits, "done" once it got its answer or gave up. */
  state: "waiting" | "done";
}

function key(mesh: Mesh, nonce: string): string {
  return `${mesh.keys.prefix}:am:asking:${nonce}`;
}

function parse(raw: string | null): Ask | null {
  if (!raw) return null;
  try {
    const a = JSON.parse(raw);
    return a && typeof a.nonce === "string" && typeof a.to === "string" ? a as Ask : null;
  } catch {
    return null;
  }
}

/** The write that records that `ask.from` now waits for the answer to its request. */
export function waitingSet(mesh: Mesh, ask: Omit<Ask, "state">): SetOp {
  const ttlSec = Math.max(1, Math.ceil(ask.until - mesh.now() / 1000)) + DONE_TTL_S;
  return { key: key(mesh, ask.nonce), value: JSON.stringify({ ...ask, state: "waiting" }), ttlSec };
}

/** Records that the asker of `nonce` stopped waiting (answered, timed out or interrupted). */
export async function markDone(mesh: Mesh, nonce: string): Promise<void> {
  const ask = parse(await mesh.store.get(key(mesh, nonce)));
  if (!ask) return;
  await mesh.store.set(key(mesh, nonce), JSON.stringify({ ...ask, state: "done" }), DONE_TTL_S);
}

/** The record of the request whose reply key ends in `nonce`, or null (none, or the original's). */
export async function askOf(mesh: Mesh, nonce: string): Promise<Ask | null> {
  const ask = parse(await mesh.store.get(key(mesh, nonce)));
  if (ask?.state === "waiting" && ask.until < mesh.now() / 1000) ask.state = "done";
  return ask;
}

/** Requests to `name` whose askers still wait, oldest first. */
export async function openAsksTo(mesh: Mesh, name: string): Promise<Ask[]> {
  const keys = await mesh.store.scan(`${mesh.keys.prefix}:am:asking:`, "string");
  if (keys.length === 0) return [];
  const now = mesh.now() / 1000;
  return (await mesh.store.getMany(keys))
    .map(parse)
    .filter((a): a is Ask => a !== null && a.to === name && a.state === "waiting" && a.until > now)
    .sort((a, b) => a.until - b.until);
}
