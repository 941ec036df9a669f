/**
 * What runs on this host, from the files in the agent-mesh home: monitors hold
 * an OS lock on `monitor-NAME.lock` (holding their pid) for as long as they run;
 * a Claude Code session idle and waiting for NAME's messages keeps a
 * `waiter-NAME-<hash>` file that its SessionEnd hook marks ended.
 */
import { join } from "node:path";
import { NAME_PATTERN } from "../names.ts";
import type { MonitorFacts } from "./report.ts";

/** The monitors running on this host and the open hook waiters per agent. */
export interface HostFacts {
  monitors: MonitorFacts[];
  waiters: Map<string, number>;
}

async function names(home: string): Promise<string[]> {
  try {
    const out: string[] = [];
    for await (const e of Deno.readDir(home)) if (e.isFile) out.push(e.name);
    return out.sort();
  } catch {
    return []; // no home yet: nothing ran here
  }
}

/**
 * True when a monitor holds `path`'s lock. Taken without waiting and released at
 * once; a monitor starting in that instant could take doctor for another monitor.
 */
async function locked(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return false;
  }
  try {
    if (!(await file.tryLock(true))) return true;
    await file.unlock();
    return false;
  } finally {
    file.close();
  }
}

async function pidIn(path: string): Promise<number> {
  try {
    return Number((await Deno.readTextFile(path)).trim()) || 0;
  } catch {
    return 0;
  }
}

/** The monitors and waiters of `home`; nothing is created or changed. */
export async function hostFacts(home: string): Promise<HostFacts> {
  const monitors: MonitorFacts[] = [];
  const waiters = new Map<string, number>();
  for (const file of await names(home)) {
    const path = join(home, file);
    const m = /^monitor-(.+)\.lock$/.exec(file);
    if (m && NAME_PATTERN.test(m[1]) && await locked(path)) {
      monitors.push({ agent: m[1], pid: await pidIn(path) });
      continue;
    }
    const w = /^waiter-(.+)-[0-9a-f]{24}$/.exec(file);
    if (w && NAME_PATTERN.test(w[1])) {
      const token = await Deno.readTextFile(path).then((t) => t.trim(), () => "ended");
      if (token !== "ended") waiters.set(w[1], (waiters.get(w[1]) ?? 0) + 1);
    }
  }
  return { monitors, waiters };
}
