/**
 * A tmux server of its own (`tmux -L NAME`, no config file) holding one window, for running
 * an interactive program in a test: start, type, read the screen, learn how it ended, and
 * kill the whole server when done.
 */

import { isZombie } from "./procs.ts";

const decoder = new TextDecoder();

/** Options of `startTmux`. */
export interface TmuxOptions {
  /** The only environment of the server and so of the program (clearEnv). */
  env: Record<string, string>;
  cwd: string;
  /** The program and its arguments (run through `sh -c 'exec …'`). */
  argv: string[];
  cols?: number;
  rows?: number;
  /** The server kills itself after this long at the latest (a crashed test leaks nothing). */
  maxSeconds?: number;
}

/** A private tmux server running one program in window "main". */
export interface Tmux {
  /** The socket name (`tmux -L NAME`). */
  readonly socket: string;
  /** The pid of the program (the pane's process). */
  readonly pid: number;
  /** Runs a tmux command on this server. */
  run(...args: string[]): Promise<{ ok: boolean; out: string; err: string }>;
  /** The visible screen, as text. */
  capture(): Promise<string>;
  /** Types `text` as literal keys. */
  type(text: string): Promise<void>;
  /** Sends tmux key names (`Enter`, `Escape`, `C-c`). */
  keys(...names: string[]): Promise<void>;
  /** The program's exit status once it has ended (128 + N for signal N), else null. */
  exitStatus(): Promise<number | null>;
  /** Kills the server (and so what still runs in it) and removes its socket. */
  kill(): Promise<void>;
}

let count = 0;

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Starts a private tmux server running `argv` in `cwd`. */
export async function startTmux(options: TmuxOptions): Promise<Tmux> {
  const socket = `agent-mesh-claude-${Deno.pid}-${++count}-${Date.now().toString(36)}`;
  const run = async (...args: string[]) => {
    const out = await new Deno.Command("tmux", {
      args: ["-L", socket, "-f", "/dev/null", ...args],
      env: options.env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { ok: out.success, out: decoder.decode(out.stdout), err: decoder.decode(out.stderr) };
  };
  const must = async (...args: string[]) => {
    const r = await run(...args);
    if (!r.ok) throw new Error(`tmux ${args[0]} failed: ${r.err.trim()}`);
    return r.out;
  };
  // A placeholder program first, so that the options below hold before the real one starts.
  await must(
    "new-session",
    "-d",
    "-s",
    "main",
    "-x",
    String(options.cols ?? 200),
    "-y",
    String(options.rows ?? 50),
    "-c",
    options.cwd,
    "cat",
  );
  let socketPath = "";
  const kill = async () => {
    await run("kill-server");
    // The server leaves its socket file behind.
    if (socketPath) await Deno.remove(socketPath).catch(() => {});
  };
  try {
    socketPath = (await must("display-message", "-p", "#{socket_path}")).trim();
    // remain-on-exit keeps the pane, its last screen and exit status after the program ends.
    await must("set-option", "-g", "remain-on-exit", "on");
    // Claude Code asks for focus events in its footer when they are off.
    await must("set-option", "-g", "focus-events", "on");
    const max = options.maxSeconds ?? 900;
    await must(
      "run-shell",
      "-b",
      `trap 'kill $! 2>/dev/null; exit 0' TERM HUP INT; sleep ${max} & wait $!; ` +
        `tmux -L ${socket} kill-server`,
    );
    // `exec` makes the program itself the pane's process, so its pid is the pane's.
    const cmd = `exec ${options.argv.map(quote).join(" ")}`;
    await must("respawn-pane", "-k", "-t", "main", "-c", options.cwd, cmd);
  } catch (e) {
    await kill();
    throw e;
  }
  const pid = Number((await must("display-message", "-p", "-t", "main", "#{pane_pid}")).trim());
  const serverPid = Number((await must("display-message", "-p", "#{pid}")).trim());
  return {
    socket,
    pid,
    run,
    async capture() {
      return (await run("capture-pane", "-p", "-t", "main")).out.replace(/\n+$/, "\n");
    },
    async type(text) {
      await must("send-keys", "-t", "main", "-l", text);
    },
    async keys(...names) {
      await must("send-keys", "-t", "main", ...names);
    },
    async exitStatus() {
      const r = await run(
        "display-message",
        "-p",
        "-t",
        "main",
        "#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}",
      );
      const [dead, status, signal] = r.out.trim().split("|");
      if (!r.ok) return null;
      if (signal) return 128 + Number(signal);
      if (dead === "1" && status) return Number(status);
      if (isZombie(pid)) {
        // Debian's tmux (built with libutempter) can miss the SIGCHLD of its pane's process:
        // the process stays a zombie and the pane never gets its exit status (tmux issues
        // #311, #4559). Another SIGCHLD makes the server reap it.
        try {
          Deno.kill(serverPid, "SIGCHLD");
        } catch { /* server gone */ }
      }
      return null;
    },
    kill,
  };
}
