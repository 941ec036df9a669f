/**
 * Peak resident memory (max RSS) of one command, as the kernel reports it to
 * the parent that waits for it: GNU time's %M where /usr/bin/time exists, else
 * a Python parent reading getrusage(RUSAGE_CHILDREN).ru_maxrss. No install.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PYTHON } from "./original.ts";

/** Measures the peak memory of commands one way. */
export interface RssMeter {
  /** How it measures, for the output. */
  how: string;
  /** Max RSS of `cmd args` in MB; throws when the command fails. */
  measure(cmd: string, args: string[], env: Record<string, string>): Promise<number>;
}

const PY_WRAPPER = [
  "import resource, subprocess, sys",
  "r = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)",
  "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
  "sys.exit(r.returncode)",
].join("\n");

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  what: string,
): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${what} failed: ${new TextDecoder().decode(out.stderr).trim().slice(-500)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** The meter available here, or null when neither way is (`dir`: a temp folder of the run). */
export function rssMeter(dir: string): RssMeter | null {
  if (existsSync("/usr/bin/time")) {
    let n = 0;
    return {
      how: "GNU time (/usr/bin/time -f %M)",
      async measure(cmd, args, env) {
        const file = join(dir, `maxrss-${n++}.txt`);
        await run("/usr/bin/time", ["-f", "%M", "-o", file, cmd, ...args], env, `${cmd} ${args}`);
        const kb = Number((await Deno.readTextFile(file)).trim().split("\n").at(-1));
        await Deno.remove(file).catch(() => {});
        return kb / 1024;
      },
    };
  }
  if (existsSync(PYTHON)) {
    return {
      how: `${PYTHON}: getrusage(RUSAGE_CHILDREN).ru_maxrss`,
      async measure(cmd, args, env) {
        const out = await run(PYTHON, ["-c", PY_WRAPPER, cmd, ...args], env, `${cmd} ${args}`);
        return Number(out.trim().split("\n").at(-1)) / 1024;
      },
    };
  }
  return null;
}
