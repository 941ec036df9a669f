/**
 * Runs the real Claude Code client in a throwaway home: one-shot (`claude -p`), or as an
 * interactive session inside tmux on a private socket, typed into and read like a user would.
 * Every wait is bounded and, when it fails, shows what the client printed.
 */
import type { ClaudeHome } from "./home.ts";
import { startTmux } from "./tmux.ts";
import { waitUntil } from "./wait.ts";

/** What a finished `claude -p` printed and returned. */
export interface PrintResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of `runPrint`. */
export interface PrintOptions {
  /** `--allowedTools` values (e.g. `mcp__agent-mesh__mesh_send`). */
  allowedTools?: string[];
  /** More arguments, before the prompt. */
  args?: string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** Killed (SIGKILL) and rejected after this long; default 60 s. */
  timeoutMs?: number;
}

const decoder = new TextDecoder();

/** Runs `claude -p PROMPT` in the home's project folder, bounded by `timeoutMs`. */
export async function runPrint(
  home: ClaudeHome,
  prompt: string,
  options: PrintOptions = {},
): Promise<PrintResult> {
  const args = [...(options.args ?? [])];
  if (options.allowedTools?.length) args.push("--allowedTools", options.allowedTools.join(","));
  const child = new Deno.Command("claude", {
    args: [...args, "-p", prompt],
    cwd: home.project,
    env: { ...home.env, ...options.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const ms = options.timeoutMs ?? 60_000;
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already ended */ }
  }, ms);
  try {
    const out = await child.output();
    const result = {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
    if (late) {
      throw new Error(
        `claude -p did not finish within ${ms} ms: stdout: ${result.stdout}; stderr: ${result.stderr}`,
      );
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Options of `startInteractive`. */
export interface InteractiveOptions {
  /** Arguments of `claude`. */
  args?: string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** Pane size; wide by default so that lines are not wrapped. */
  cols?: number;
  rows?: number;
  /** The tmux server (and the client in it) is killed after this long at the latest. */
  maxSeconds?: number;
}

/** An interactive `claude` inside tmux. Dispose it (`await using`) to end everything. */
export interface InteractiveSession extends AsyncDisposable {
  /** The private tmux socket name (`tmux -L NAME`). */
  readonly socket: string;
  /** The pid of the `claude` process. */
  readonly pid: number;
  /** The path of the client's debug log (`--debug-file`). */
  readonly debugFile: string;
  /** The visible pane, as text. */
  capture(): Promise<string>;
  /** Resolves with the pane when it matches; rejects after `ms` showing the pane. */
  waitForPane(match: RegExp | string, ms?: number): Promise<string>;
  /** Resolves when the input prompt is on screen and the client waits for input. */
  waitReady(ms?: number): Promise<void>;
  /** Types `text` as literal keys (no Enter). */
  type(text: string): Promise<void>;
  /** Sends tmux key names (`Enter`, `Escape`, `C-c`). */
  keys(...names: string[]): Promise<void>;
  /** Types `prompt`, waits until the input box shows it, then presses Enter. */
  submit(prompt: string, ms?: number): Promise<void>;
  /** The client's debug log so far. */
  debugLog(): string;
  /** Resolves with the first debug log line matching `re`; rejects after `ms`. */
  waitForLog(re: RegExp, ms?: number): Promise<string>;
  /**
   * Resolves once MCP server `name` is connected and its tools are in the session (a prompt
   * submitted before may reach the model without them); rejects when it failed or after `ms`.
   */
  waitForMcp(name: string, ms?: number): Promise<void>;
  /** Whether the `claude` process still runs. */
  alive(): Promise<boolean>;
  /** Sends `signal` (default SIGKILL) to the `claude` process, by pid. */
  kill(signal?: Deno.Signal): void;
  /** Resolves with the client's exit status (128 + N for signal N) once it has ended. */
  waitExit(ms?: number): Promise<number>;
}

/** The text of the input box: the lines between the last two horizontal rules. */
export function inputBox(pane: string): string {
  const lines = pane.split("\n");
  const rules = lines.flatMap((l, i) => /^─{20,}/.test(l) ? [i] : []);
  if (rules.length < 2) return "";
  return lines.slice(rules.at(-2)! + 1, rules.at(-1)).join(" ").replaceAll(/\s+/g, " ").trim();
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
let sessions = 0;

/** Starts `claude` in a private tmux server, in the project folder, with a debug log. */
export async function startInteractive(
  home: ClaudeHome,
  options: InteractiveOptions = {},
): Promise<InteractiveSession> {
  const debugFile = `${home.home}/claude-debug-${++sessions}.log`;
  const tmux = await startTmux({
    env: { ...home.env, ...options.env },
    cwd: home.project,
    argv: ["claude", "--debug-file", debugFile, ...(options.args ?? [])],
    cols: options.cols,
    rows: options.rows,
    maxSeconds: options.maxSeconds,
  });
  const { pid } = tmux;
  const explain = async () => `the pane shows:\n${await tmux.capture()}`;
  const poll = <T>(what: string, ms: number, probe: () => Promise<T | null | undefined>) =>
    waitUntil(what, ms, probe, explain);

  const session: InteractiveSession = {
    socket: tmux.socket,
    pid,
    debugFile,
    capture: tmux.capture,
    waitForPane(match, ms = 60_000) {
      return poll(`The pane did not show ${match}`, ms, async () => {
        const pane = await tmux.capture();
        return (typeof match === "string" ? pane.includes(match) : match.test(pane)) ? pane : null;
      });
    },
    async waitReady(ms = 60_000) {
      await poll("The client did not show its input prompt", ms, async () => {
        const pane = await tmux.capture();
        if (await tmux.exitStatus() !== null) {
          throw new Error(`claude exited at start; the pane shows:\n${pane}`);
        }
        return /^❯/m.test(pane) && /\? for shortcuts/.test(pane) ? true : null;
      });
    },
    type: tmux.type,
    keys: tmux.keys,
    async submit(prompt, ms = 60_000) {
      await tmux.type(prompt);
      // Enter right after the text can be taken as part of a paste; wait until it is echoed.
      // Compared without whitespace: the box wraps long lines.
      const tail = prompt.replaceAll(/\s+/g, "").slice(-20);
      const shown = async () =>
        inputBox(await tmux.capture()).replaceAll(/\s+/g, "").includes(tail);
      await poll(`The input box did not show "${tail}"`, ms, async () => await shown() || null);
      await tmux.keys("Enter");
      // Submitted: the box no longer holds it, or the client ended (`/exit`).
      await poll(`The prompt "${tail}" was not submitted`, ms, async () => {
        return !await shown() || await tmux.exitStatus() !== null || null;
      });
    },
    debugLog() {
      try {
        return Deno.readTextFileSync(debugFile);
      } catch {
        return "";
      }
    },
    waitForLog(re, ms = 60_000) {
      return poll(
        `The debug log had no line matching ${re}`,
        ms,
        () => Promise.resolve(session.debugLog().split("\n").find((l) => re.test(l))),
      );
    },
    async waitForMcp(name, ms = 60_000) {
      // Measured (2.1.197): "Channel notifications …" is logged once the server's state,
      // tools included, is in the session; "Successfully connected" comes before tools/list.
      const server = `MCP server "${name}": `;
      const line = await session.waitForLog(
        new RegExp(`${escape(server)}(Channel notifications|Channel gate|.*failed)`, "i"),
        ms,
      );
      if (/failed/i.test(line)) throw new Error(`MCP server "${name}" failed: ${line}`);
    },
    async alive() {
      return await tmux.exitStatus() === null;
    },
    kill(signal = "SIGKILL") {
      try {
        Deno.kill(pid, signal);
      } catch { /* already ended */ }
    },
    waitExit(ms = 60_000) {
      return poll("claude did not exit", ms, tmux.exitStatus);
    },
    async [Symbol.asyncDispose]() {
      if (await tmux.exitStatus() === null) session.kill("SIGKILL");
      await tmux.kill();
    },
  };
  return session;
}
