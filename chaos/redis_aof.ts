/**
 * The chaos run's own redis-server: on a free loopback port, in a temp dir, with
 * the append-only file on and fsynced on every write, so that a SIGKILL loses
 * nothing Redis acknowledged. It can be killed (-9), restarted on the same dir
 * and port, frozen (SIGSTOP) and thawed; `timeout` stops it by itself at the latest.
 */
import { freePort } from "../tests/harness/redis_server.ts";

/** A running redis-server that chaos may kill, restart and freeze. */
export interface AofRedis extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  /** SIGKILL, then waits for the process to end. */
  kill(): Promise<void>;
  /** Starts it again on the same port and dir, reloading the append-only file. */
  restart(): Promise<void>;
  /** SIGSTOP: the server holds every connection open and answers nothing. */
  freeze(): Promise<void>;
  /** SIGCONT. */
  thaw(): void;
}

async function askPid(port: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("INFO server\r\n"));
    const buf = new Uint8Array(64 * 1024);
    let text = "";
    for (let i = 0; i < 100; i++) {
      const m = /process_id:(\d+)/.exec(text);
      if (m) return Number(m[1]);
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    throw new Error(`redis-server on port ${port} did not tell its pid`);
  } finally {
    conn.close();
  }
}

async function waitForPort(port: number, child: Deno.ChildProcess): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`redis-server on port ${port} exited at start`);
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 20)); // polls an open port, bounded above
    }
  }
  throw new Error(`redis-server did not listen on port ${port} within 15 s`);
}

/** Starts redis-server with AOF on; it stops by itself after `maxSeconds` at the latest. */
export async function startAofRedis(maxSeconds: number): Promise<AofRedis> {
  const dir = await Deno.makeTempDir({ prefix: "agent-mesh-chaos-redis-" });
  const port = freePort();
  let child: Deno.ChildProcess | null = null;
  let pid = 0;
  const spawn = async () => {
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
        "yes",
        "--appendfsync",
        "always",
        "--protected-mode",
        "yes",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitForPort(port, child);
    pid = await askPid(port);
  };
  const kill = async () => {
    const c = child as Deno.ChildProcess | null;
    if (!c) return;
    child = null;
    try {
      Deno.kill(pid, "SIGCONT"); // a frozen server dies as well, but be sure it runs to die
      Deno.kill(pid, "SIGKILL");
    } catch { /* already gone */ }
    await c.status;
  };
  const thaw = () => {
    try {
      Deno.kill(pid, "SIGCONT");
    } catch { /* gone */ }
  };
  await spawn();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    kill,
    restart: spawn,
    freeze() {
      Deno.kill(pid, "SIGSTOP");
      return Promise.resolve();
    },
    thaw,
    async [Symbol.asyncDispose]() {
      const c = child as Deno.ChildProcess | null;
      if (c) {
        thaw();
        try {
          c.kill("SIGTERM");
        } catch { /* gone */ }
        await c.status;
        child = null;
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
