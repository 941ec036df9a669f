/**
 * Child processes of the bench: `deno run` of main.ts or of a bench helper, their
 * output read line by line, their CPU time and memory read from /proc (Linux).
 */
import { fileURLToPath } from "node:url";
import { wallNow } from "./stats.ts";

/** Absolute path of main.ts. */
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
/** Absolute path of the bench's child-process entry. */
export const AGENT = fileURLToPath(new URL("./agent.ts", import.meta.url));
/** Absolute path of the empty script whose start is the CLI floor. */
export const EMPTY = fileURLToPath(new URL("./empty.ts", import.meta.url));

/** A running child whose stdout lines are collected. */
export interface Child extends AsyncDisposable {
  readonly pid: number;
  readonly lines: string[];
  /** For each of `lines`, the wall-clock ms (wallNow) at which this process read it. */
  readonly times: number[];
  /** Writes `text` to its standard input (only when spawned with `stdin: true`). */
  write(text: string): Promise<void>;
  /** Resolves with the first stdout or stderr line matching `re`; rejects after `ms` or at exit. */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  /** Sends SIGTERM and waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** What it wrote on stderr. */
  stderr(): string;
}

/** Spawns `deno run -A <args>` with `env` added to this process's environment. */
export function spawnDeno(args: string[], env: Record<string, string>): Child {
  return spawnProcess(Deno.execPath(), ["run", "-A", ...args], env);
}

/** Options of `spawnProcess`. */
export interface SpawnOptions {
  /** Keep its standard input open for `write`. */
  stdin?: boolean;
  /**
   * Run it under `timeout` in a process group of its own, so that it stops by
   * itself after this many seconds even if the bench dies, and `stop` can end
   * the whole group.
   */
  maxSeconds?: number;
}

/** Spawns `cmd args` with `env` added to this process's environment. */
export function spawnProcess(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  opts: SpawnOptions = {},
): Child {
  // timeout (without --foreground) leads a process group of its own and forwards SIGTERM to it.
  const [file, argv] = opts.maxSeconds
    ? ["timeout", ["-k", "5", String(opts.maxSeconds), cmd, ...args]]
    : [cmd, args];
  const child = new Deno.Command(file, {
    args: argv,
    env: { NO_COLOR: "1", ...env },
    stdin: opts.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = opts.stdin ? child.stdin.getWriter() : null;
  const encoder = new TextEncoder();
  const lines: string[] = [];
  const times: number[] = [];
  let errText = "";
  const pokes = new Set<() => void>();
  let exited = false;
  const read = async (stream: ReadableStream<Uint8Array>, toLines: boolean) => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      if (!toLines) {
        errText += chunk;
        buf += chunk;
      } else buf += chunk;
      const at = wallNow();
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        if (toLines) {
          lines.push(buf.slice(0, i));
          times.push(at);
        }
        buf = buf.slice(i + 1);
      }
      pokes.forEach((p) => p());
    }
  };
  const reading = Promise.all([read(child.stdout, true), read(child.stderr, false)]);
  // Exited only once its output is read too: the exit can be seen before the last line.
  const status = child.status.then(async (s) => {
    await reading.catch(() => {});
    exited = true;
    pokes.forEach((p) => p());
    return s;
  });
  let stopping: Promise<void> | null = null;
  const stop = () =>
    stopping ??= (async () => {
      await writer?.close().catch(() => {});
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        const timer = setTimeout(() => {
          try {
            // Under timeout: the whole group (timeout cannot forward a SIGKILL).
            if (opts.maxSeconds) Deno.kill(-child.pid, "SIGKILL");
            else child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 10_000);
        await status;
        clearTimeout(timer);
      }
      await reading.catch(() => {});
    })();
  return {
    pid: child.pid,
    lines,
    times,
    async write(text) {
      if (!writer) throw new Error(`${cmd}: spawned without stdin`);
      await writer.write(encoder.encode(text));
    },
    stderr: () => errText,
    waitFor(re, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = [...lines, ...errText.split("\n")].find((l) => re.test(l));
          if (hit !== undefined) {
            done();
            resolve(hit);
          } else if (exited) {
            done();
            reject(
              new Error(`${cmd} ${args.join(" ")} exited without ${re}: ${errText.slice(-500)}`),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`${cmd} ${args.join(" ")}: no ${re} within ${ms} ms: ${errText.slice(-500)}`),
          );
        }, ms);
        const done = () => {
          clearTimeout(timer);
          pokes.delete(check);
        };
        pokes.add(check);
        check();
      });
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Wall time of one `deno run -A <args>` to its exit, in ms; throws when it fails. */
export function timeRun(args: string[], env: Record<string, string>): Promise<number> {
  return timeCommand(Deno.execPath(), ["run", "-A", ...args], env);
}

/** Wall time of one `cmd args` to its exit, in ms; throws when it fails. */
export async function timeCommand(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const command = new Deno.Command(cmd, {
    args,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
  const start = performance.now();
  const out = await command.output();
  const ms = performance.now() - start;
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return ms;
}

/** user + system CPU time of `pid` in ms (Linux /proc; USER_HZ 100). */
export function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
}

/** Resident memory of `pid` in MB (VmRSS). */
export function rssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1]);
  return kb / 1024;
}

const onInterrupt = new Set<() => Promise<void>>();

/** Runs `cleanup` if the bench is interrupted (Ctrl-C, SIGTERM), until the returned function is called. */
export function atInterrupt(cleanup: () => Promise<void>): () => void {
  onInterrupt.add(cleanup);
  return () => onInterrupt.delete(cleanup);
}

/**
 * On SIGINT or SIGTERM: runs every cleanup registered with atInterrupt (children
 * that live in process groups of their own do not get the terminal's Ctrl-C),
 * then `last`, and exits 130.
 */
export function handleInterrupts(last: () => Promise<void>): void {
  let once = false;
  const handler = async () => {
    if (once) return;
    once = true;
    console.error("bench: interrupted; stopping its processes");
    await Promise.allSettled([...onInterrupt].map((c) => c()));
    await last().catch(() => {});
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", handler);
  Deno.addSignalListener("SIGTERM", handler);
}

/** Children stopped together: when disposed, and when the bench is interrupted. */
export class ChildGroup implements AsyncDisposable {
  readonly all: Child[] = [];
  #forget = atInterrupt(() => this.stopAll());
  /** Adds `child` to the group; returns it. */
  add(child: Child): Child {
    this.all.push(child);
    return child;
  }
  /** Stops every child of the group. */
  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((c) => c.stop()));
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stopAll();
    this.#forget();
  }
}
