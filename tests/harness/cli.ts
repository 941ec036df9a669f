/**
 * Runs agent-mesh as a user does: real subprocesses of main.ts, against a store
 * of one engine case (tests/harness/store_engines.ts) and a private home folder.
 */
import { fromFileUrl } from "./paths.ts";
import { withDeadline } from "./timing.ts";
import type { EngineCase, OpenedStore } from "./store_engines.ts";

/** Absolute path of main.ts. */
export const MAIN = fromFileUrl(new URL("../../main.ts", import.meta.url));

/** What a finished command printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A store for one test plus the environment in which CLI processes share it. */
export interface Mesh extends AsyncDisposable {
  readonly opened: OpenedStore;
  readonly env: Record<string, string>;
  readonly home: string;
  /** Runs `agent-mesh ...args` to completion. */
  cli(...args: string[]): Promise<CliResult>;
  /** Runs with extra environment variables. */
  cliEnv(env: Record<string, string>, ...args: string[]): Promise<CliResult>;
  /** Starts `agent-mesh ...args` in the background. */
  spawn(args: string[], env?: Record<string, string>): Background;
}

/** A command running in the background, its output collected line by line. */
export interface Background extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the first line (stdout or stderr) matching `re`, or rejects after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  /** Resolves when the process ends. */
  done(): Promise<CliResult>;
  kill(signal?: Deno.Signal): void;
}

const decoder = new TextDecoder();

/** Runs main.ts with `args` in `env`, to completion; a run that hangs fails after 120 s. */
export async function runCli(env: Record<string, string>, args: string[]): Promise<CliResult> {
  const out = await withDeadline(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...args],
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output(),
    120_000,
    `agent-mesh ${args.join(" ")}`,
  );
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  lines: string[],
  raw: string[],
  onLine: () => void,
) {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    raw.push(chunk);
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      onLine();
    }
  }
  if (buf) {
    lines.push(buf);
    onLine();
  }
}

/** Starts main.ts with `args` in `env`, in the background. */
export function spawnCli(env: Record<string, string>, args: string[]): Background {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const rawOut: string[] = [];
  const rawErr: string[] = [];
  const waiters = new Set<() => void>();
  const poke = () => waiters.forEach((w) => w());
  const reading = Promise.all([
    collect(child.stdout, stdout, rawOut, poke),
    collect(child.stderr, stderr, rawErr, poke),
  ]);
  let finished: Promise<CliResult> | null = null;
  const done = () =>
    finished ??= (async () => {
      const status = await child.status;
      await reading;
      return { code: status.code, stdout: rawOut.join(""), stderr: rawErr.join("") };
    })();
  return {
    child,
    stdout,
    stderr,
    waitFor(re, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = [...stdout, ...stderr].find((l) => re.test(l));
          if (hit !== undefined) {
            cleanup();
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no line matching ${re} within ${ms} ms; stdout: ${stdout.join(" | ")}; stderr: ${
                stderr.join(" | ")
              }`,
            ),
          );
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
        done().then(check).then(() => {
          if (waiters.has(check)) {
            cleanup();
            reject(
              new Error(
                `process ended without a line matching ${re}; stderr: ${stderr.join(" | ")}`,
              ),
            );
          }
        });
      });
    },
    done,
    kill(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already ended */ }
    },
    async [Symbol.asyncDispose]() {
      this.kill("SIGKILL");
      await done();
    },
  };
}

/** Opens a fresh store of `engine` with a private home folder for CLI processes. */
export async function openMesh(engine: EngineCase): Promise<Mesh> {
  const opened = await engine.open();
  const home = await Deno.makeTempDir({ prefix: "agent-mesh-home-" });
  const env = { ...opened.env, AGENT_MESH_HOME: home };
  const running: Background[] = [];
  return {
    opened,
    env,
    home,
    cli: (...args) => runCli(env, args),
    cliEnv: (extra, ...args) => runCli({ ...env, ...extra }, args),
    spawn(args, extra = {}) {
      const bg = spawnCli({ ...env, ...extra }, args);
      running.push(bg);
      return bg;
    },
    async [Symbol.asyncDispose]() {
      for (const bg of running) await bg[Symbol.asyncDispose]();
      await opened[Symbol.asyncDispose]();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}
