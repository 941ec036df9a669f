/**
 * Runs a parsed command: reads its message arguments (from the command line,
 * standard input or a file), gives `run` its context (configuration, a mesh
 * opened on demand, lib/mesh, the interrupt signal, output helpers), and closes
 * what was opened. Heavy modules are loaded here, on demand, never by a definition.
 */
import { type Config, loadConfig } from "../../lib/config.ts";
import { UsageError } from "../../lib/errors.ts";
import type { Mesh } from "../../lib/mesh/mesh.ts";
import type { Store } from "../../lib/store/port.ts";
import type { ArgSpec, Command, RunContext } from "./define.ts";
import { InterruptedError, NoMeshError } from "./errors.ts";
import { lazyImport } from "./lazy.ts";
import type { Lib } from "./lib.ts";
import type { Parsed } from "./parse.ts";

/** Signals that interrupt a waiting command. */
const SIGNALS: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];

/** Ctrl-C and SIGTERM as an AbortSignal; a second one exits at once. */
class Interrupt {
  readonly #ac = new AbortController();
  #by: string | undefined;
  readonly #onSignal = (sig: Deno.Signal) => () => {
    if (this.#by !== undefined) Deno.exit(130); // a second Ctrl-C: stop waiting for cleanup
    this.#by = sig;
    this.#ac.abort();
  };
  readonly #handlers = SIGNALS.map((s) => [s, this.#onSignal(s)] as const);

  constructor() {
    for (const [s, h] of this.#handlers) Deno.addSignalListener(s, h);
  }

  get signal(): AbortSignal {
    return this.#ac.signal;
  }

  get by(): string | undefined {
    return this.#by;
  }

  dispose(): void {
    for (const [s, h] of this.#handlers) Deno.removeSignalListener(s, h);
  }
}

/** Reads at most `max + 1` bytes of standard input. */
async function readStdin(max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of Deno.stdin.readable) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > max) break;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function decodeText(bytes: Uint8Array, from: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`Invalid ${from}: not UTF-8 text`);
  }
}

/** The text of a `text` argument: as given, from standard input (`-`) or from `--file`. */
async function readText(
  a: ArgSpec,
  value: string | undefined,
  path: string | undefined,
  config: Config,
  lib: Lib,
): Promise<string> {
  const what = a.name.toLowerCase();
  let text: string;
  if (path !== undefined) {
    let bytes: Uint8Array;
    try {
      // Checked before reading: a wrong path must not read gigabytes. The slack is for
      // trailing newlines, which are dropped; the exact limit is checked below.
      if (Deno.statSync(path).size > config.maxBytes + 1024) {
        throw new UsageError(
          `The ${what} in --${a.file} "${path}" is over the limit of ${config.maxBytes} bytes (AGENT_MESH_MAX_BYTES)`,
        );
      }
      bytes = await Deno.readFile(path);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`Cannot read --${a.file} "${path}": ${(err as Error).message}`);
    }
    text = decodeText(bytes, `--${a.file} "${path}"`).replace(/(\r?\n)+$/, "");
  } else if (value === "-") {
    if (Deno.stdin.isTerminal()) {
      console.error(`agent-mesh: reading the ${what} from standard input (end it with Ctrl-D)`);
    }
    text = decodeText(await readStdin(config.maxBytes), "standard input").replace(/(\r?\n)+$/, "");
  } else {
    text = value ?? "";
  }
  if (text.trim() === "") {
    throw new UsageError(
      `Empty ${what}: give some text${
        a.file ? `, "-" to read it from standard input, or --${a.file} PATH` : ""
      }`,
    );
  }
  return lib.checkText(text, config.maxBytes, what);
}

/** Runs `cmd` with `parsed`; returns the exit code, throws a MeshError on failure. */
export async function execute(cmd: Command, parsed: Parsed): Promise<number> {
  let config: Config | undefined;
  let lib: Promise<Lib> | undefined;
  let opened: Promise<{ store: Store; mesh: Mesh }> | undefined;
  let interrupt: Interrupt | undefined;
  const getConfig = () => config ??= loadConfig();
  const getLib = () => lib ??= lazyImport<Lib>("./lib.ts", import.meta.url);
  const json = parsed.flags.json;

  const args = { ...parsed.args };
  for (const a of cmd.args) {
    if (a.type !== "text") continue;
    const path = a.file !== undefined ? parsed.flags[a.file] : undefined;
    if (args[a.name] === undefined && path === undefined) continue;
    args[a.name] = await readText(
      a,
      args[a.name],
      typeof path === "string" ? path : undefined,
      getConfig(),
      await getLib(),
    );
  }

  const ctx: RunContext = {
    name: cmd.name,
    args,
    flags: parsed.flags,
    json,
    get config() {
      return getConfig();
    },
    lib: getLib,
    mesh() {
      opened ??= (async () => {
        const conf = getConfig();
        if (cmd.readOnly && !conf.redisUrl && !exists(conf.dbPath)) {
          throw new NoMeshError(
            `No mesh database at "${conf.dbPath}": nothing was ever sent on this mesh (check AGENT_MESH_DB and AGENT_MESH_HOME)`,
          );
        }
        const l = await getLib();
        const store = await l.openStore(conf);
        return { store, mesh: new l.Mesh(store, conf) };
      })();
      return opened.then((o) => o.mesh);
    },
    get signal() {
      interrupt ??= new Interrupt();
      return interrupt.signal;
    },
    emit(doc, text) {
      if (json) console.log(JSON.stringify(doc));
      else if (text) console.log(text);
    },
    print(line) {
      if (!json) console.log(line);
    },
    note(line, prefixed = true) {
      console.error(prefixed ? `agent-mesh: ${line}` : line);
    },
    waiting(what) {
      if (Deno.stderr.isTerminal()) console.error(`waiting ${what} (Ctrl-C stops)`);
    },
  };

  try {
    const interrupted = () => interrupt?.by !== undefined && !cmd.shutdownOnSignal;
    let code: number | void;
    try {
      code = await cmd.run(ctx);
    } catch (err) {
      if (interrupted()) throw new InterruptedError(`Interrupted by ${interrupt?.by}`);
      throw err;
    }
    if (interrupted()) throw new InterruptedError(`Interrupted by ${interrupt?.by}`);
    return code ?? 0;
  } finally {
    if (opened) await opened.then((o) => o.store.close(), () => {});
    interrupt?.dispose();
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
