/**
 * Reads the Linux process table (/proc) to find what a Claude Code session started: its
 * hooks and MCP servers, also after they were orphaned, so a test can assert on them and
 * end them by pid.
 */

/** The parent pid of `pid`, or null when the process is gone. */
export function ppidOf(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (2nd field) may hold spaces; fields after its ")" are fixed.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/** The command line of `pid` (its arguments joined by spaces), or null when it is gone. */
export function cmdlineOf(pid: number): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter(Boolean).join(" ");
  } catch {
    return null;
  }
}

/** Whether process `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Whether `pid` has ended but was not reaped by its parent yet. */
export function isZombie(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] === "Z";
  } catch {
    return false;
  }
}

/** Every pid in /proc (none where there is no /proc, as on macOS). */
function allPids(): number[] {
  try {
    return [...Deno.readDirSync("/proc")].filter((e) => /^\d+$/.test(e.name)).map((e) =>
      Number(e.name)
    );
  } catch {
    return [];
  }
}

/** Pids of the running processes whose environment holds `NAME=value`. */
export function pidsWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  return allPids().filter((pid) => {
    if (pid === Deno.pid) return false;
    try {
      return Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0").includes(needle) &&
        isRunning(pid);
    } catch {
      return false;
    }
  });
}

/** Pids of every running descendant of `pid`. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of allPids()) {
    const parent = ppidOf(p);
    if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) =>
    (children.get(p) ?? []).forEach((c) => {
      out.push(c);
      walk(c);
    });
  walk(pid);
  return out;
}

/** Sends SIGKILL to each pid that still runs. */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* already ended */ }
  }
}
