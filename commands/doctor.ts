import { defineCommand } from "./_cli/define.ts";
import { arr, bool, named, nul, num, obj, oneOf, str, union } from "./_cli/shape.ts";

const RECEIPT = union(obj({ reader: str, ts: str, "session?": str }), nul);

/** An agent online, as doctor shows it: its registration and how it receives. */
const ONLINE_AGENT = named(
  "OnlineAgent",
  obj({
    agent: str,
    role: str,
    pid: num,
    ts: num,
    receives: RECEIPT,
    monitor_pid: union(num, nul),
    waiters: num,
  }),
);

/** This folder's Claude Code setup, as doctor reads it. */
const CLAUDE_CODE_SETUP = named(
  "ClaudeCodeSetup",
  obj({
    folder: str,
    server: union(
      obj({
        file: str,
        scope: oneOf("local", "project", "user"),
        transport: oneOf("stdio", "http"),
        agent: union(str, nul),
        target: str,
        approved: bool,
      }),
      nul,
    ),
    hooks: arr(obj({ event: str, file: str, agent: union(str, nul), background: bool })),
    claude_md: bool,
  }),
);

/** `agent-mesh doctor`: what this shell's mesh and this folder's Claude Code setup look like. */
export default defineCommand({
  name: "doctor",
  summary: "check the mesh and this folder's Claude Code setup; one line per problem, with its fix",
  readOnly: true,
  output: obj({
    ok: bool,
    version: str,
    engine: oneOf("embedded", "redis"),
    store: str,
    store_status: oneOf("reachable", "unreachable", "no_database"),
    prefix: str,
    home: str,
    escalate_to: str,
    agents: arr(ONLINE_AGENT),
    monitors: arr(obj({ agent: str, pid: num })),
    claude_code: CLAUDE_CODE_SETUP,
    problems: arr(named("Problem", obj({ check: str, problem: str, fix: str }))),
    notes: arr(str),
  }),
  description: "Prints the engine, the database or Redis URL (password hidden), the prefix,\n" +
    "the home folder and the version; who is online and how each last received\n" +
    "(listen, monitor, mesh_listen, hook), with the monitors running on this host\n" +
    "and idle Claude Code sessions waiting; and this folder's Claude Code setup:\n" +
    "the agent-mesh server entry (and whether it is approved), the hooks, and\n" +
    'CLAUDE.md. Then one line per problem, "PROBLEM ...; fix: ...". Writes\n' +
    "nothing and creates no database. Exits 0 when no problem was found, 1 when\n" +
    "some were (--json: ok is false, problems lists them).",
  async run(ctx) {
    const lib = await ctx.lib();
    const kit = await lib.loadDoctor();
    let userHome: string | null = null;
    try {
      userHome = lib.userHome();
    } catch { /* no home folder: the user's Claude Code files are not checked */ }
    const report = await kit.diagnose({
      config: ctx.config,
      version: lib.VERSION,
      mesh: () => ctx.mesh(),
      folder: Deno.cwd(),
      userHome,
      env: (name) => Deno.env.get(name),
    });
    ctx.emit(report, kit.formatReport(report));
    return report.ok ? 0 : 1;
  },
});
