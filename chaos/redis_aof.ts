/**
 * The chaos run's own redis-server: on a free loopback port, in a temp dir, with
 * the append-only file on and fsynced on every write, so that a SIGKILL loses
 * nothing Redis acknowledged. It can be killed (-9), restarted on the same dir
 * and port, frozen (SIGSTOP) and thawed; `timeout` stops it by itself at the latest.
 */
import { startRedis } from "../tests/harness/redis_server.ts";

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

/** Starts redis-server with AOF on; it stops by itself after `maxSeconds` at the latest. */
export async function startAofRedis(maxSeconds: number): Promise<AofRedis> {
  const server = await startRedis(maxSeconds, ["--appendonly", "yes", "--appendfsync", "always"]);
  // Asked while it answers: a frozen server tells nothing, and must still be killed.
  let pid = await server.pid();
  const thaw = () => {
    try {
      Deno.kill(pid, "SIGCONT");
    } catch { /* gone */ }
  };
  return {
    url: server.url,
    port: server.port,
    async kill() {
      thaw(); // a frozen server dies as well, but be sure it runs to die
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* already gone */ }
      await server.stop();
    },
    async restart() {
      await server.restart();
      pid = await server.pid();
    },
    freeze() {
      Deno.kill(pid, "SIGSTOP");
      return Promise.resolve();
    },
    thaw,
    async [Symbol.asyncDispose]() {
      thaw();
      await server[Symbol.asyncDispose]();
    },
  };
}
