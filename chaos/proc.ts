/** Bounded CLI runs for the chaos scenarios. */
import { type CliResult, spawnCli } from "../tests/harness/cli.ts";

/**
 * Runs `agent-mesh ...args` to completion, or SIGKILLs it after `ms` (then the
 * code is 137 and `timedOut` is set): no chaos run can hang on one process.
 */
export async function runBounded(
  env: Record<string, string>,
  args: string[],
  ms: number,
): Promise<CliResult & { timedOut: boolean }> {
  const bg = spawnCli(env, args);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    bg.kill("SIGKILL");
  }, ms);
  try {
    return { ...await bg.done(), timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Plain listens of `name` until two in a row find nothing (leases of 1 s run out
 * meanwhile), at most `most` of them; returns the texts shown. A failed listen
 * (a store coming back) counts as neither.
 */
export async function drain(env: Record<string, string>, name = "bob", most = 5000) {
  const texts: string[] = [];
  let failures = 0;
  for (let empty = 0, n = 0; empty < 2 && n < most; n++) {
    const r = await runBounded(env, ["listen", name, "--json", "--timeout", "2.5"], 30_000);
    if (r.code !== 0) {
      if (++failures > 20) throw new Error(`listen keeps failing: ${r.stderr.trim()}`);
      continue;
    }
    const msg = r.stdout.trim() ? JSON.parse(r.stdout).message : null;
    if (msg) {
      texts.push(msg.text);
      empty = 0;
    } else empty++;
  }
  return texts;
}
