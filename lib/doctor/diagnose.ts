/**
 * `agent-mesh doctor`: gathers the facts (configuration, store, host, this
 * folder's Claude Code setup) and the problems, each with its fix.
 */
import type { Config } from "../config.ts";
import type { Mesh } from "../mesh/mesh.ts";
import { readClaudeFiles } from "./claude_files.ts";
import { checkClaudeCode } from "./claude_checks.ts";
import { hostFacts } from "./host.ts";
import { meshFacts } from "./mesh_facts.ts";
import type { DoctorReport, Problem } from "./report.ts";

/** What doctor reads. */
export interface DoctorInput {
  config: Config;
  version: string;
  /** Opens the configured mesh; a MeshError when the store cannot be reached. */
  mesh: () => Promise<Mesh>;
  /** The folder whose Claude Code setup is checked. */
  folder: string;
  /** The user's home folder (for ~/.claude.json and ~/.claude), null when unknown. */
  userHome: string | null;
  /** This shell's environment. */
  env: (name: string) => string | undefined;
}

/** Everything doctor finds; `ok` when no problem. */
export async function diagnose(input: DoctorInput): Promise<DoctorReport> {
  const { config } = input;
  const host = await hostFacts(config.home);
  const mesh = await meshFacts(config, input.mesh, host);
  const files = await readClaudeFiles(input.folder, input.userHome);
  const claude = await checkClaudeCode(files, input.env, config);
  const problems: Problem[] = [...mesh.problems];
  const notes = [...mesh.notes];
  if (mesh.store_status === "reachable") {
    const online = new Set(mesh.agents.map((a) => a.agent));
    const target = config.escalateTo;
    // The registry, not the monitor locks: a lock of this home may be a monitor of another mesh.
    if (!online.has(target)) {
      problems.push({
        check: "escalation",
        problem:
          `Nobody runs ${target}, who hears of replies that never came (AGENT_MESH_ESCALATE_TO)`,
        fix: `run "agent-mesh monitor ${target}" (or a session as ${target}), ` +
          "or set AGENT_MESH_ESCALATE_TO to an agent that runs",
      });
    }
    const agent = claude.facts.server?.agent;
    if (agent && !online.has(agent)) {
      notes.push(`${agent}, the agent of this folder, is not online: start Claude Code here`);
    }
  }
  problems.push(...claude.problems);
  return {
    ok: problems.length === 0,
    version: input.version,
    engine: config.redisUrl ? "redis" : "embedded",
    store: mesh.store,
    store_status: mesh.store_status,
    prefix: config.prefix,
    home: config.home,
    escalate_to: config.escalateTo,
    agents: mesh.agents,
    monitors: host.monitors,
    claude_code: claude.facts,
    problems,
    notes,
  };
}
