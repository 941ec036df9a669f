/**
 * Starts a real `redis-server` on a free loopback port in a temp dir, for tests.
 * Where `redis-server` is missing, says so loudly and returns null, unless
 * AGENT_MESH_REQUIRE_REDIS=1: then it throws.
 */
import { HANG_MS, withDeadline } from "./timing.ts";

/** A running throwaway Redis. Dispose it (`await using`) to stop it and remove its dir. */
export interface RedisServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server (SIGTERM, or SIGKILL with `hard`) and waits for it to exit. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and dir (after `stop`). */
  restart(): Promise<void>;
  /** The redis-server process id (asked of the server itself: its parent is `timeout`). */
  pid(): Promise<number>;
}

/** Asks the Redis on `port` for its process id (INFO server), over a raw connection. */
async function serverPid(port: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("INFO server\r\n"));
    const decoder = new TextDecoder();
    const buf = new Uint8Array(64 * 1024);
    let text = "";
    for (;;) {
      const m = /process_id:(\d+)/.exec(text);
      if (m) return Number(m[1]);
      const n = await conn.read(buf);
      if (n === null) throw new Error(`redis-server on port ${port} did not tell its pid`);
      text += decoder.decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

let warned = false;

/** Why Redis tests cannot run here, or null when redis-server is available. */
export function redisMissing(): string | null {
  try {
    const out = new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return out.success ? null : "redis-server --version failed";
  } catch {
    return "redis-server is not installed (apt-get install -y redis-server, or brew install redis)";
  }
}

/** True when the Redis half of the tests must run (CI). */
export function redisRequired(): boolean {
  return Deno.env.get("AGENT_MESH_REQUIRE_REDIS") === "1";
}

/** Whether to skip Redis tests; warns loudly once, and throws when Redis is required. */
export function skipRedis(): boolean {
  const why = redisMissing();
  if (!why) return false;
  if (redisRequired()) throw new Error(`AGENT_MESH_REQUIRE_REDIS=1 but ${why}`);
  if (!warned) {
    warned = true;
    console.error(`\n!!! SKIPPING the Redis half of the tests: ${why}\n`);
  }
  return true;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Waits until `child` (a redis-server, its log on stdout) says it is "Ready to
 * accept connections"; the rest of its log is read and dropped, so that the
 * server never blocks on a full pipe. `drained` settles once the server is gone.
 */
export async function untilRedisReady(
  child: Deno.ChildProcess,
  what: string,
): Promise<{ drained: Promise<void> }> {
  const log = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  await withDeadline(
    (async () => {
      while (!/Ready to accept connections/.test(seen)) {
        const { value, done } = await log.read();
        if (done) throw new Error(`${what} exited at start: ${seen.slice(-400)}`);
        seen += value;
      }
    })(),
    HANG_MS,
    `${what} ready`,
  );
  const drained = (async () => {
    while (!(await log.read()).done) { /* the log goes nowhere */ }
  })();
  return { drained };
}

/**
 * Starts redis-server; the process stops by itself after `maxSeconds` at the
 * latest. `extraArgs` come last, so they override the defaults (no persistence).
 */
export async function startRedis(maxSeconds = 900, extraArgs: string[] = []): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "agent-mesh-redis-" });
  const port = freePort();
  let child: Deno.ChildProcess | null = null;
  let drained: Promise<void> = Promise.resolve();
  const spawn = async () => {
    // `timeout` makes sure a server orphaned by a crashed test run stops by itself.
    child = new Deno.Command("timeout", {
      args: [
        String(maxSeconds),
        "redis-server",
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
        ...extraArgs,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    ({ drained } = await untilRedisReady(child, `redis-server on port ${port}`));
  };
  const stop = async (hard = false) => {
    const c = child as Deno.ChildProcess | null;
    if (!c) return;
    child = null;
    try {
      // timeout forwards SIGTERM; SIGKILL would orphan redis-server, so it goes to the
      // server itself, by the pid the server tells (never by name: other tests run theirs).
      if (hard) Deno.kill(await serverPid(port), "SIGKILL");
      else c.kill("SIGTERM");
    } catch { /* already gone */ }
    await c.status;
    await drained;
  };
  await spawn();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    dir,
    stop,
    restart: spawn,
    pid: () => serverPid(port),
    async [Symbol.asyncDispose]() {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
