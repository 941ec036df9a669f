/**
 * `agent-mesh serve` over stdio spoken to by hand, one JSON-RPC line at a time,
 * for tests of what an SDK client never sends (bad lines, reused ids, huge
 * lines). Every wait is bounded.
 */
import { MAIN } from "./mcp_server.ts";
import { RAW_INITIALIZE } from "./mcp_channel.ts";
import { withDeadline } from "./timing.ts";

/** A JSON-RPC message as read back. */
// deno-lint-ignore no-explicit-any
export type Rpc = Record<string, any>;

/** A `tools/call` request. */
export function toolCall(id: number | string, name: string, args: Record<string, unknown>): Rpc {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

/** A spawned `serve` spoken to over its stdin and stdout. */
export class RawStdio implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  /** Every message the server wrote, in order. */
  readonly messages: Rpc[] = [];
  #stderr = "";
  #waiters = new Set<() => void>();
  readonly #reading: Promise<unknown>;

  constructor(env: Record<string, string>, args: string[] = []) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "serve", ...args],
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#reading = Promise.all([this.#readOut(), this.#readErr()]);
  }

  async #readOut(): Promise<void> {
    let rest = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const lines = rest.split("\n");
      rest = lines.pop()!;
      for (const line of lines) if (line.trim()) this.messages.push(JSON.parse(line));
      this.#wake();
    }
  }

  async #readErr(): Promise<void> {
    for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
      this.#stderr += chunk;
      this.#wake();
    }
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** What the server wrote on stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Writes raw bytes (a line must end with "\n"). */
  async write(bytes: Uint8Array | string): Promise<void> {
    await this.#writer.write(typeof bytes === "string" ? this.#encoder.encode(bytes) : bytes);
  }

  /** Writes each message as one line. */
  async send(...messages: Rpc[]): Promise<void> {
    await this.write(messages.map((m) => JSON.stringify(m) + "\n").join(""));
  }

  /** Initializes the session (initialize, then initialized) and waits for the answer. */
  async initialize(): Promise<Rpc> {
    await this.send({ ...RAW_INITIALIZE, id: "init" });
    const answer = await this.until((m) => m.id === "init");
    await this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return answer;
  }

  /** The first message matching `test`, waiting up to `ms` for it. */
  until(test: (m: Rpc) => boolean, ms = 20_000): Promise<Rpc> {
    return this.#wait(() => this.messages.find(test), ms, "a matching message");
  }

  /** Waits until stderr matches `re`; returns stderr. */
  stderrMatching(re: RegExp, ms = 20_000): Promise<string> {
    return this.#wait(() => re.test(this.#stderr) ? this.#stderr : undefined, ms, `stderr ${re}`);
  }

  #wait<T>(get: () => T | undefined, ms: number, what: string): Promise<T> {
    const found = get();
    if (found !== undefined) return Promise.resolve(found);
    let check: () => void;
    const waiting = new Promise<T>((resolve) => {
      check = () => {
        const v = get();
        if (v !== undefined) resolve(v);
      };
      this.#waiters.add(check);
    });
    return withDeadline(waiting, ms, `${what} (stderr: ${this.#stderr.slice(-400)})`)
      .finally(() => this.#waiters.delete(check));
  }

  /** Closes stdin and returns the exit code (killing the server after 15 s). */
  async close(): Promise<number> {
    await this.#writer.close().catch(() => {});
    try {
      const status = await withDeadline(this.#child.status, 15_000, "serve to exit");
      return status.code;
    } catch (err) {
      this.#child.kill("SIGKILL");
      await this.#child.status;
      throw err;
    } finally {
      await withDeadline(this.#reading, 5_000, "server output").catch(() => {});
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close().catch(() => {});
  }
}
