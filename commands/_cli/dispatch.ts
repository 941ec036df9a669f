/**
 * From the command line to an exit code: the main help, `COMMAND --help`,
 * parsing, running, and every failure turned into one line on stderr (and an
 * error document on stdout with `--json`), never a stack trace.
 */
import { isUserError, UsageError } from "../../lib/errors.ts";
import { loadAll, loadCommand } from "../index.ts";
import { errorCode } from "./errors.ts";
import { commandHelp, mainHelp } from "./help.ts";
import { lazyImport } from "./lazy.ts";
import { didYouMean } from "./suggest.ts";

const TOP_FLAGS = ["--help", "--version"];

/** True when `argv` has `flag` before any `--`. */
function hasFlag(argv: readonly string[], ...flags: string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (flags.includes(a)) return true;
  }
  return false;
}

async function route(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help") {
    console.log(mainHelp(await loadAll()));
    return first === undefined ? 2 : 0;
  }
  if (first.startsWith("-")) {
    throw new UsageError(
      `Unknown flag "${first}"${
        didYouMean(first.replace(/^-+/, ""), TOP_FLAGS.map((f) => f.slice(2)), (f) => `--${f}`) ||
        ' (see "agent-mesh --help")'
      }`,
    );
  }
  if (first === "help" && rest.length <= 1 && !rest.some((a) => a.startsWith("-"))) {
    // `help [TOPIC]`, the common case, without the parser either (flags take the usual path).
    const help = await lazyImport<typeof import("../help.ts")>("../help.ts", import.meta.url);
    console.log((await help.helpFor(rest[0])).text);
    return 0;
  }
  const cmd = await loadCommand(first);
  // Help is shown before parsing, so that it loads neither the parser nor node's modules.
  if (hasFlag(rest, "-h", "--help")) {
    console.log(commandHelp(cmd));
    return 0;
  }
  const [{ parseCommand }, { execute }] = await Promise.all([
    lazyImport<typeof import("./parse.ts")>("./parse.ts", import.meta.url),
    lazyImport<typeof import("./run.ts")>("./run.ts", import.meta.url),
  ]);
  return await execute(cmd, parseCommand(cmd, rest));
}

/** Runs the command line `argv`; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await route(argv);
  } catch (err) {
    const known = isUserError(err);
    const message = known
      ? err.message.replace(/\s*\n\s*/g, " ")
      : `Unexpected error: ${(err as Error)?.message ?? String(err)}`;
    console.error(`agent-mesh: ${message}`);
    if (!known && Deno.env.get("AGENT_MESH_DEBUG")) console.error((err as Error)?.stack);
    if (hasFlag(argv, "--json")) {
      console.log(JSON.stringify({ ok: false, error: { code: errorCode(err), message } }));
    }
    return known ? err.exitCode : 1;
  }
}
