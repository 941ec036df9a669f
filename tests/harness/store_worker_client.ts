/**
 * Runs `tests/fixtures/store_worker.ts` as a separate OS process (`deno run -A`)
 * on the same store as the test. Protocol: the worker opens the store and prints
 * `READY`, waits for a line on stdin (`go()`), runs its command, prints the result
 * as one JSON line, closes the store and exits.
 */
import { fileURLToPath } from "node:url";
import { withDeadline } from "./timing.ts";

const WORKER = fileURLToPath(new URL("../fixtures/store_worker.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const START_DEADLINE_MS = 60_000;
const RESULT_DEADLINE_MS = 60_000;
const EXIT_DEADLINE_MS = 10_000;

/** A running worker process. Dispose it (`await using`) to kill it if it still runs. */
export interface StoreWorker extends AsyncDisposable {
  readonly pid: number;
  /** Resolves once the worker has opened the store. */
  ready(): Promise<void>;
  /** Lets the worker run its command. */
  go(): Promise<void>;
  /** The command's result; rejects with the worker's stderr when it fails or does not exit. */
  result<T>(): Promise<T>;
}

function lines(stream: ReadableStream<Uint8Array>): ReadableStreamDefaultReader<string> {
  let rest = "";
  return stream.pipeThrough(new TextDecoderStream()).pipeThrough(
    new TransformStream<string, string>({
      transform(chunk, out) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        for (const part of parts) out.enqueue(part);
      },
      flush(out) {
        if (rest) out.enqueue(rest);
      },
    }),
  ).getReader();
}

/** Starts `store_worker.ts COMMAND ARGS...` with `env` added to this process's environment. */
export function spawnWorker(env: Record<string, string>, args: string[]): StoreWorker {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", WORKER, ...args],
    cwd: ROOT,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = lines(child.stdout);
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const what = `worker "${args.join(" ")}"`;

  const failure = async (why: string) => {
    if (!exited) child.kill("SIGKILL");
    const { code } = await status;
    return new Error(`${what} ${why} (exit ${code}); its stderr:\n${await stderr}`);
  };
  const nextLine = async (): Promise<string | undefined> => (await out.read()).value;

  return {
    pid: child.pid,
    async ready() {
      const line = await withDeadline(nextLine(), START_DEADLINE_MS, `${what} start`);
      if (line !== "READY") throw await failure(`did not start: printed ${JSON.stringify(line)}`);
    },
    async go() {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(new TextEncoder().encode("go\n"));
        await writer.close();
      } catch {
        throw await failure("exited before it was told to go");
      }
    },
    async result<T>(): Promise<T> {
      const line = await withDeadline(nextLine(), RESULT_DEADLINE_MS, `${what} result`);
      if (line === undefined) throw await failure("printed no result");
      const exit = await withDeadline(status, EXIT_DEADLINE_MS, `${what} exit after its result`)
        .catch(() => null);
      if (!exit) throw await failure("did not exit after printing its result (store left open?)");
      if (!exit.success) throw await failure("failed");
      return JSON.parse(line) as T;
    },
    async [Symbol.asyncDispose]() {
      if (!exited) child.kill("SIGKILL");
      await status;
      await stderr;
      await out.cancel().catch(() => {});
      await child.stdin.close().catch(() => {});
    },
  };
}
