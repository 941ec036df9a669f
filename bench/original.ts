/**
 * The original Python agent-mesh (v0.1), run beside ours where it is installed:
 * Debian's /usr/bin/python3 with its `redis` and `click` packages, and the
 * original's unchanged source. Nothing of its code is copied here: the bench
 * runs its CLI (and, for the fan-out's sender, calls its send function).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The interpreter the original needs (another python3 on PATH may lack its packages). */
export const PYTHON = "/usr/bin/python3";

/** Where the original can be run from. */
export interface Original {
  /** The folder its source was found in. */
  found: string;
  /**
   * A throwaway copy of it, which the runs import: Python caches its bytecode
   * there (as an installed package has it), so the runs after the first are warm
   * without writing into the original's folder.
   */
  src: string;
}

/** The original, or why it cannot run here. */
export type OriginalFound = { tool: Original; missing?: never } | { missing: string; tool?: never };

/** The candidate source folders, in order: env, beside the repo, the shared folder. */
function sourceCandidates(): string[] {
  const env = Deno.env.get("AGENT_MESH_ORIGINAL_SRC");
  if (env) return [env];
  return [
    fileURLToPath(new URL("../../shared/original-v0.1/src", import.meta.url)),
    "/work/shared/original-v0.1/src",
  ];
}

/** The original's source folder, or why it cannot run here. */
export type Located = { src: string; missing?: never } | { missing: string; src?: never };

/** Where the original's source and interpreter are, or why they are not (no side effect). */
export function locateOriginal(): Located {
  const candidates = sourceCandidates();
  const src = candidates.find((c) => existsSync(join(c, "agent_mesh", "cli.py")));
  if (!src) {
    return {
      missing: `its source is not in ${
        candidates.map((c) => `"${c}"`).join(" nor ")
      } (set AGENT_MESH_ORIGINAL_SRC)`,
    };
  }
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command(PYTHON, {
      args: ["-c", "import redis, click, agent_mesh.cli"],
      env: { PYTHONPATH: src, PYTHONDONTWRITEBYTECODE: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).outputSync();
  } catch {
    return { missing: `${PYTHON} is not installed` };
  }
  if (!out.success) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
    return {
      missing: `${PYTHON} cannot import redis, click and the original ` +
        `(apt-get install -y python3-redis python3-click): ${why}`,
    };
  }
  return { src };
}

/** Finds the original tool; `dir` (a temp folder of the run) receives the copy it runs from. */
export function findOriginal(dir: string): OriginalFound {
  const located = locateOriginal();
  if (located.missing !== undefined) return { missing: located.missing };
  const src = located.src;
  const copy = join(dir, "original-src");
  Deno.mkdirSync(join(copy, "agent_mesh"), { recursive: true });
  for (const f of Deno.readDirSync(join(src, "agent_mesh"))) {
    if (f.isFile && f.name.endsWith(".py")) {
      Deno.copyFileSync(join(src, "agent_mesh", f.name), join(copy, "agent_mesh", f.name));
    }
  }
  return { tool: { found: src, src: copy } };
}

/** The command line of the original's CLI with `args`. */
export function originalCli(args: string[]): [string, string[]] {
  return [PYTHON, [
    "-c",
    'import sys; from agent_mesh.cli import main; sys.argv[0] = "agent-mesh"; main()',
    ...args,
  ]];
}

/**
 * The original's fan-out sender: reads "TOKEN TARGET" lines, and for each takes
 * the wall-clock time, sends TOKEN to TARGET through the original's own send
 * (echoed on the group stream), and prints {"token", "t0"}.
 */
export function originalSender(from: string): [string, string[]] {
  return [PYTHON, [
    "-c",
    [
      "import json, sys, time",
      "from agent_mesh.core import do_send",
      "from agent_mesh.transport import get_redis",
      "get_redis().ping()",
      'print("ready", flush=True)',
      "for line in sys.stdin:",
      "    token, target = line.split()",
      "    t0 = time.time() * 1000",
      `    do_send(target, token, ${JSON.stringify(from)})`,
      '    print(json.dumps({"token": token, "t0": t0}), flush=True)',
    ].join("\n"),
  ]];
}

/** The environment of an original process: its Redis, prefix and a throwaway HOME. */
export function originalEnv(
  tool: Original,
  o: { redisUrl: string; prefix: string; home: string },
): Record<string, string> {
  return {
    HOME: o.home,
    PYTHONPATH: tool.src,
    // Bytecode cached beside the copy: a warm start, as for ours (Deno's module cache).
    PYTHONDONTWRITEBYTECODE: "",
    // Its listeners print with print(): line by line, as on a terminal, not in 8 KB blocks.
    PYTHONUNBUFFERED: "1",
    AGENT_MESH_REDIS_URL: o.redisUrl,
    AGENT_MESH_PREFIX: o.prefix,
    AGENT_MESH_GATE_ENFORCE: "0",
  };
}
