/**
 * A Claude Code hook that records what it was given, for tests and measurements:
 * `deno run -A probe_hook.ts LOG [MODE] [ARG]` appends one JSON line to LOG with its stdin,
 * environment, pid and process tree, then acts by MODE:
 * - (none): exits 0;
 * - `context TEXT`: prints TEXT as the event's additionalContext;
 * - `context-size N`: prints an additionalContext of N characters (`<000000><000001>…`);
 * - `linger`: stays, recording signals and the moment its parent or grandparent changes
 *   (and whether its stdout/stderr pipes still work then), until `LOG.release` or
 *   `LOG.release.PID` appears (it removes it);
 * - `rewake TEXT`: like linger, then prints `REWAKE-<pid> TEXT` on stderr and exits 2;
 * - `stubborn`: like linger, but ignores SIGTERM.
 */
const [log, mode = "", arg = ""] = Deno.args;
const encoder = new TextEncoder();

/** Appends one record to the log. */
export function record(entry: Record<string, unknown>): void {
  Deno.writeTextFileSync(log, JSON.stringify({ t: Date.now(), pid: Deno.pid, ...entry }) + "\n", {
    append: true,
  });
}

function statOf(pid: number): string[] | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}
const ppidOf = (pid: number) => Number(statOf(pid)?.[1] ?? 0);
const cmdOf = (pid: number) => {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").join(" ").trim();
  } catch {
    return null;
  }
};

/** A context of `n` characters whose cut point can be read back: `<000000><000001>…`. */
export function sizedText(n: number): string {
  let s = "";
  for (let i = 0; s.length < n; i++) s += `<${String(i).padStart(6, "0")}>`;
  return s.slice(0, n);
}

if (import.meta.main) {
  const raw = await new Response(Deno.stdin.readable).text();
  let input: Record<string, unknown> = {};
  try {
    input = JSON.parse(raw);
  } catch {
    input = { raw };
  }
  const parent = Deno.ppid;
  const grandparent = ppidOf(parent);
  const self = statOf(Deno.pid) ?? [];
  record({
    kind: "start",
    mode,
    input,
    ppid: parent,
    parent: cmdOf(parent),
    grandparent,
    grandparentCmd: cmdOf(grandparent),
    pgid: Number(self[2]),
    sid: Number(self[3]),
    env: Deno.env.toObject(),
  });
  const event = String(input.hook_event_name ?? "");
  const context = (text: string) =>
    console.log(JSON.stringify({
      hookSpecificOutput: { hookEventName: event, additionalContext: text },
    }));
  if (mode === "context") context(arg);
  else if (mode === "context-size") context(sizedText(Number(arg)));
  else if (mode === "linger" || mode === "rewake" || mode === "stubborn") {
    for (const sig of ["SIGTERM", "SIGHUP", "SIGINT", "SIGQUIT"] as const) {
      Deno.addSignalListener(sig, () => {
        record({ kind: "signal", sig, ppid: ppidOf(Deno.pid) });
        if (sig !== "SIGHUP" && !(mode === "stubborn" && sig === "SIGTERM")) Deno.exit(128 + 15);
      });
    }
    const chain = () => `${ppidOf(Deno.pid)}>${ppidOf(ppidOf(Deno.pid))}`;
    let last = chain();
    // Polling /proc is the only way to see a reparenting; 50 ms is the resolution of the record.
    const timer = setInterval(() => {
      const now = chain();
      if (now !== last) {
        const probe = (w: typeof Deno.stdout) => {
          try {
            w.writeSync(encoder.encode("probe\n"));
            return "ok";
          } catch (e) {
            return String(e);
          }
        };
        record({
          kind: "reparented",
          from: last,
          to: now,
          denoPpid: Deno.ppid,
          stdout: probe(Deno.stdout),
          stderr: probe(Deno.stderr),
        });
        last = now;
      }
      const released = [`${log}.release.${Deno.pid}`, `${log}.release`].some((path) => {
        try {
          Deno.removeSync(path);
          return true;
        } catch {
          return false;
        }
      });
      if (!released) return;
      clearInterval(timer);
      record({ kind: "released" });
      if (mode === "rewake") {
        console.error(`REWAKE-${Deno.pid} ${arg}`);
        Deno.exit(2);
      }
      Deno.exit(0);
    }, 50);
  }
}
