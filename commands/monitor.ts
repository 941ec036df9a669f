import { ROLE_MAX } from "../lib/names.ts";
import type { OverdueAction } from "../lib/mesh/ledger.ts";
import { inline } from "../lib/text/safe_text.ts";
import { defineCommand } from "./_cli/define.ts";
import { lit, num, obj, oneOf, str, union } from "./_cli/shape.ts";
import { clock, directLines, groupLine } from "./_show.ts";
import { MESSAGE } from "./_shapes.ts";

/** How often the monitor renews its registration and checks its ledger, in ms. */

/** The pid written in a monitor's lock file, if readable. */
async function lockHolder(path: string): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trim() || "unknown";
  } catch {
    return "unknown";
  }
}

/** `agent-mesh monitor`: a listener that runs until stopped. */
export default defineCommand({
  name: "monitor",
  summary: "run a listener for NAME until stopped (one per name per host)",
  args: [{ name: "NAME", type: "name", help: "whose inbox to read" }],
  flags: {
    stealth: { type: "boolean", help: "print nothing" },
    role: {
      type: "string",
      value: "TEXT",
      maxLength: ROLE_MAX,
      help: "the role registered for NAME, shown by who (default: keep the one registered)",
    },
  },
  output: union(
    obj({ event: oneOf("direct", "group"), message: MESSAGE }),
    obj({ event: lit("already_running"), agent: str, pid: num }),
    obj({ event: oneOf("reping", "escalate"), to: str, peer: str, note: str, tries: num }),
  ),
  description:
    "Registers NAME, prints every message as listen does, each line after the time it\n" +
    "was sent (HH:MM:SS), answers pings, re-pings overdue --expect-reply messages and\n" +
    "escalates them to AGENT_MESH_ESCALATE_TO (default watchdog), saying so. With --json,\n" +
    "one document per line. Ctrl-C or SIGTERM\n" +
    "deregisters NAME and stops it (exit 130). A second monitor of NAME on this host says\n" +
    "so on stderr and exits 0.",
  async run(ctx) {
    const name = ctx.args.NAME;
    const quiet = ctx.flags.stealth;
    const lib = await ctx.lib();
    lib.ensureHome(ctx.config.home);
    // One monitor per name per host: the OS releases this lock when the process dies.
    const lockPath = lib.agentFile(ctx.config.home, "monitorLock", name);
    using lockFile = await Deno.open(lockPath, { create: true, write: true });
    if (!(await lockFile.tryLock(true))) {
      const pid = await lockHolder(lockPath);
      ctx.note(`monitor already running for ${name} (pid ${pid})`, false);
      if (ctx.json) ctx.emit({ event: "already_running", agent: name, pid: Number(pid) || 0 });
      return;
    }
    try {
      await lockFile.truncate(0);
      await lockFile.write(new TextEncoder().encode(`${Deno.pid}\n`));
      const mesh = await ctx.mesh();
      const signal = ctx.signal;
      // The chase, said as it happens: the sender sees its monitor re-ping and escalate.
      const report = (actions: OverdueAction[]) => {
        for (const { kind, entry, to = "?", unheard } of actions) {
          if (quiet) continue;
          const doc = { event: kind, to, peer: entry.peer, note: entry.note, tries: entry.tries };
          if (ctx.json) ctx.emit(doc);
          else if (kind === "reping") {
            ctx.print(
              `${clock()} [re-ping → ${to}] no reply yet (try ${entry.tries}): ${
                inline(entry.note)
              }`,
            );
          } else {
            ctx.print(
              `${clock()} [escalate → ${to}] no reply from ${entry.peer}: ${inline(entry.note)}`,
            );
            if (unheard) ctx.note(`warning: no agent ${to} is on the mesh to read the escalation`);
          }
        }
      };
      if (ctx.flags.role !== undefined) await lib.register(mesh, name, ctx.flags.role);
      report(await lib.renewAndChase(mesh, name, true));
      await lib.markListening(mesh, name, "monitor");
      if (!quiet) {
        ctx.note(`monitoring ${name} on the ${mesh.store.engine} engine (Ctrl-C stops)`, false);
      }
      let last = Date.now();
      while (!signal.aborted) {
        const delivery = await lib.nextDirect(mesh, name, {
          timeoutMs: Math.max(lib.CHASE_EVERY_MS - (Date.now() - last), 0),
          withGroup: true,
          signal,
          reader: { kind: "monitor" },
          onGroup: (message) => {
            if (quiet) return;
            if (ctx.json) ctx.emit({ event: "group", message });
            else ctx.print(`${clock(message.ts)} ${groupLine(message)}`);
          },
        });
        if (delivery && !signal.aborted) {
          const message = delivery.message;
          if (quiet) { /* shown nowhere, still logged and acknowledged */ }
          else if (ctx.json) ctx.emit({ event: "direct", message });
          else {
            const key = message.reply_to;
            const ask = key ? await lib.askOf(mesh, key.slice(key.lastIndexOf(":") + 1)) : null;
            ctx.print(`${clock(message.ts)} ${directLines(message, name, ask?.state === "done")}`);
          }
          await lib.appendNotify(mesh, name, message);
          await delivery.ack();
        }
        if (Date.now() - last >= lib.CHASE_EVERY_MS && !signal.aborted) {
          report(await lib.renewAndChase(mesh, name, true));
          await lib.markListening(mesh, name, "monitor");
          last = Date.now();
        }
      }
      await lib.unmarkListening(mesh, name, "monitor").catch(() => {});
      await lib.deregister(mesh, name);
    } finally {
      await lockFile.unlock().catch(() => {});
    }
  },
});
