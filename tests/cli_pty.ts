/**
 * Runs agent-mesh on a real terminal: `script` gives the process a pseudo-terminal,
 * so stderr is a terminal (the "waiting …" lines appear) and writing Ctrl-C to the
 * terminal sends SIGINT the way a user's keyboard does. Linux (util-linux `script`).
 */
import { MAIN } from "./harness/cli.ts";

/** A command running on a pseudo-terminal; stdout and stderr arrive merged, as on a screen. */
export interface PtyProcess extends AsyncDisposable {
  /** Everything the terminal showed so far, CRLF turned into LF, without the echo of Ctrl-C (^C). */
  readonly screen: () => string;
  /** Resolves with the first screen line matching `re`; rejects after `ms` or when the process ends. */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  /** Types Ctrl-C on the terminal. */
  ctrlC(): Promise<void>;
  /** Sends `signal` to the agent-mesh process itself (not to `script`). */
  signal(signal: Deno.Signal): void;
  /** Resolves with the exit code of agent-mesh (`script -e` passes it on). */
  done(): Promise<number>;
}

/** True when `script` can run here. */
export function hasScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Starts `agent-mesh ...args` with `env` on a pseudo-terminal. */
export function ptyCli(env: Record<string, string>, args: string[]): PtyProcess {
  const line = ["exec", Deno.execPath(), "run", "-A", "--quiet", MAIN, ...args].map(quote).join(
    " ",
  );
  const child = new Deno.Command("script", {
    args: ["-qefc", line, "/dev/null"],
    env: { NO_COLOR: "1", SHELL: "/bin/sh", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  let text = "";
  const pokes = new Set<() => void>();
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      text += chunk.replaceAll("\r\n", "\n").replaceAll("^C", "");
      pokes.forEach((p) => p());
    }
  })();
  const status = child.status.then(async (s) => {
    await reading;
    pokes.forEach((p) => p());
    return s.code;
  });
  let ended = false;
  status.then(() => ended = true);
  return {
    screen: () => text,
    waitFor(re, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = text.split("\n").find((l) => re.test(l));
          if (hit !== undefined) finish(() => resolve(hit));
          else if (ended) finish(() => reject(new Error(`ended without ${re}: ${text}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no ${re}: ${text}`))), ms);
        const finish = (f: () => void) => {
          clearTimeout(timer);
          pokes.delete(check);
          f();
        };
        pokes.add(check);
        check();
      });
    },
    async ctrlC() {
      await writer.write(new Uint8Array([3]));
    },
    signal(signal) {
      // script's only child is the shell that exec'd agent-mesh.
      const children = Deno.readTextFileSync(`/proc/${child.pid}/task/${child.pid}/children`);
      Deno.kill(Number(children.trim().split(/\s+/)[0]), signal);
    },
    done: () => status,
    async [Symbol.asyncDispose]() {
      if (!ended) {
        try {
          this.signal("SIGKILL");
        } catch { /* gone */ }
      }
      await writer.close().catch(() => {});
      await status;
    },
  };
}
