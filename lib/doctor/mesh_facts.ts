/**
 * The mesh as this shell's configuration reaches it: whether its store answers,
 * who is online and how each last received. Never creates a database: a missing
 * embedded file is reported, not opened.
 */
import { type Config, redactUrl } from "../config.ts";
import { isUserError } from "../errors.ts";
import type { Mesh } from "../mesh/mesh.ts";
import { who } from "../mesh/presence.ts";
import { lastReader } from "../mesh/states.ts";
import type { AgentFacts, DoctorReport, Problem } from "./report.ts";
import type { HostFacts } from "./host.ts";

/** What doctor learns from the store. */
export interface MeshFacts {
  store: string;
  store_status: DoctorReport["store_status"];
  agents: AgentFacts[];
  problems: Problem[];
  notes: string[];
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads the registry and the readers of `config`'s mesh, opened with `open`. */
export async function meshFacts(
  config: Config,
  open: () => Promise<Mesh>,
  host: HostFacts,
): Promise<MeshFacts> {
  const store = config.redisUrl ? redactUrl(config.redisUrl) : config.dbPath;
  const out: MeshFacts = { store, store_status: "reachable", agents: [], problems: [], notes: [] };
  if (!config.redisUrl && !exists(config.dbPath)) {
    out.store_status = "no_database";
    out.notes.push(
      `No database at ${config.dbPath} yet: nothing was sent on this mesh ` +
        "(if messages were, check AGENT_MESH_DB and AGENT_MESH_HOME)",
    );
    return out;
  }
  try {
    const mesh = await open();
    const agents = await who(mesh, false);
    const readers = await Promise.all(agents.map((a) => lastReader(mesh, a.agent)));
    out.agents = agents.map((a, i): AgentFacts => {
      const r = readers[i];
      const monitor = host.monitors.find((m) => m.agent === a.agent);
      return {
        agent: a.agent,
        role: a.role,
        pid: a.pid,
        ts: a.ts,
        receives: r
          ? {
            reader: r.reader ?? "unknown",
            ts: r.ts,
            ...(r.session ? { session: r.session } : {}),
          }
          : null,
        monitor_pid: monitor ? monitor.pid : null,
        waiters: host.waiters.get(a.agent) ?? 0,
      };
    });
  } catch (err) {
    if (!isUserError(err)) throw err;
    out.store_status = "unreachable";
    out.problems.push({
      check: "store",
      problem: err.message.replace(/\s*\n\s*/g, " "),
      fix: config.redisUrl
        ? "start Redis, or point AGENT_MESH_REDIS_URL at a running one"
        : `check that ${config.dbPath} is a readable agent-mesh database (AGENT_MESH_DB)`,
    });
  }
  return out;
}
