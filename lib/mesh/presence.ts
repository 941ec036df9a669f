/**
 * The registry: who is on the mesh. An entry is the original's JSON string under
 * `P:registry:<name>` with a 180 s TTL, renewed by monitors and live sessions.
 */
import { checkName, checkRole } from "../names.ts";
import type { Mesh } from "./mesh.ts";

/** Lifetime of a registry entry, in seconds (the original's value). */
export const REGISTRY_TTL_S = 180;

/** A registry entry, with the original's field names. */
export interface AgentInfo {
  agent: string;
  role: string;
  pid: number;
  ts: number;
  /** Only in `who --all`: false for an agent that has an inbox but no live registration. */
  online?: boolean;
  /**
   * How a reader of the agent listens right now (`monitor`, `listen`, `hooks` for an
   * idle Claude Code session, `mesh_listen`), or null when nothing listens: a
   * registration alone means only that the name was claimed.
   */
  listening?: string | null;
}

/** A reader's heartbeat lasts this long past its last renewal, in seconds. */
export const LISTENING_TTL_S = 90;

function listeningKey(mesh: Mesh, name: string): string {
  return `${mesh.keys.prefix}:am:listening:${name}`;
}

/**
 * Records that `name` is listened for right now, through `via`, for `ttlS` seconds
 * (renew it while listening). A key of our own: the original tool never reads it.
 */
export async function markListening(
  mesh: Mesh,
  name: string,
  via: string,
  ttlS = LISTENING_TTL_S,
): Promise<void> {
  await mesh.store.set(
    listeningKey(mesh, name),
    JSON.stringify({ via, pid: Deno.pid, ts: mesh.now() / 1000 }),
    Math.max(1, Math.ceil(ttlS)),
  );
}

/** Ends `name`'s heartbeat of `via` (a monitor that stops); another reader's is kept. */
export async function unmarkListening(mesh: Mesh, name: string, via: string): Promise<void> {
  const raw = await mesh.store.get(listeningKey(mesh, name));
  try {
    if (raw && JSON.parse(raw).via === via && JSON.parse(raw).pid === Deno.pid) {
      await mesh.store.del(listeningKey(mesh, name));
    }
  } catch { /* not ours */ }
}

/** Registers `name` (or renews it) with `role`. */
export async function register(mesh: Mesh, name: string, role = ""): Promise<AgentInfo> {
  checkName(name);
  checkRole(role);
  const info: AgentInfo = { agent: name, role, pid: Deno.pid, ts: mesh.now() / 1000 };
  await mesh.store.set(mesh.keys.registry(name), JSON.stringify(info), REGISTRY_TTL_S);
  return info;
}

/** Removes `name` from the registry; false when it was not registered. */
export async function deregister(mesh: Mesh, name: string): Promise<boolean> {
  checkName(name);
  return (await mesh.store.del(mesh.keys.registry(name))) > 0;
}

/** Renews `name`'s registration keeping its role; registers it when `orRegister`. */
export async function renew(mesh: Mesh, name: string, orRegister = false): Promise<void> {
  const raw = await mesh.store.get(mesh.keys.registry(name));
  const old = raw ? parseInfo(raw) : null;
  if (old || orRegister) await register(mesh, name, old?.role ?? "");
}

/**
 * Sorts agents by name, case-insensitively first: the order of localeCompare for
 * agent names, without its collation set-up (some 20 ms on a CLI's first call).
 */
function sortByName(agents: AgentInfo[]): void {
  const keys = new Map(agents.map((a) => [a, a.agent.toLowerCase()]));
  agents.sort((a, b) => {
    const x = keys.get(a)!;
    const y = keys.get(b)!;
    if (x !== y) return x < y ? -1 : 1;
    return a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0;
  });
}

function parseInfo(raw: string): AgentInfo | null {
  try {
    const v = JSON.parse(raw);
    if (!v || typeof v.agent !== "string") return null;
    return {
      agent: v.agent,
      role: typeof v.role === "string" ? v.role : "",
      pid: Number(v.pid) || 0,
      ts: Number(v.ts) || 0,
    };
  } catch {
    return null;
  }
}

/**
 * The registered agents, sorted by name, in two round trips whatever their number.
 * With `all`, agents that have an inbox but no live registration follow, `online: false`.
 */
export async function who(mesh: Mesh, all = false): Promise<AgentInfo[]> {
  const keys = await mesh.store.scan(mesh.keys.registryPrefix, "string");
  const values = keys.length ? await mesh.store.getMany(keys) : [];
  const agents = values.flatMap((v) => (v ? [parseInfo(v)] : [])).filter((a): a is AgentInfo =>
    a !== null
  );
  sortByName(agents);
  if (agents.length > 0) {
    const beats = await mesh.store.getMany(agents.map((a) => listeningKey(mesh, a.agent)));
    agents.forEach((a, i) => {
      try {
        a.listening = beats[i] ? String(JSON.parse(beats[i]!).via) : null;
      } catch {
        a.listening = null;
      }
    });
  }
  if (!all) return agents;
  const known = new Set(agents.map((a) => a.agent));
  const inboxes = await mesh.store.scan(mesh.keys.inboxPrefix, "stream");
  const offline = inboxes
    .map((k) => k.slice(mesh.keys.inboxPrefix.length))
    .filter((n) => !known.has(n))
    .sort()
    .map((agent): AgentInfo => ({
      agent,
      role: "",
      pid: 0,
      ts: 0,
      online: false,
      listening: null,
    }));
  return [...agents.map((a) => ({ ...a, online: true })), ...offline];
}
