/**
 * A raw ioredis client for tests, to look at a Redis behind the engine's back, and
 * what it tells about blocked readers.
 */
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { eventually, HANG_MS, withDeadline } from "./timing.ts";

/** A raw client, connected (it reconnects after a restart). Dispose it (`await using`) to hang up. */
export async function rawClient(url: string): Promise<Redis & AsyncDisposable> {
  const raw = new Redis(url, {
    lazyConnect: true,
    disableClientInfo: true,
    disconnectTimeout: 100,
  }) as Redis & AsyncDisposable;
  raw.on("error", () => {});
  await raw.connect();
  raw[Symbol.asyncDispose] = () => closeRaw(raw);
  return raw;
}

/**
 * Disconnects a raw client and waits for its socket to close. Between two
 * reconnection attempts it has no socket: disconnecting cancels the next attempt
 * and leaves nothing to wait for (ioredis then never says "end").
 */
export async function closeRaw(raw: Redis): Promise<void> {
  if (raw.status === "end") return;
  const socketless = raw.status === "reconnecting";
  const end = new Promise<void>((resolve) => raw.once("end", () => resolve()));
  raw.disconnect();
  if (!socketless) await withDeadline(end, HANG_MS, "the raw client's end");
}

/** Clients the server has blocked in a command (XREAD or XREADGROUP with BLOCK here). */
export async function blockedClients(raw: Redis): Promise<number> {
  const info = String(await raw.info("clients"));
  const m = /^blocked_clients:(\d+)/m.exec(info);
  if (!m) throw new Error(`INFO clients gave no blocked_clients: ${info}`);
  return Number(m[1]);
}

/** Waits until the server has at least `n` blocked clients. */
export async function untilBlockedClients(raw: Redis, n: number): Promise<void> {
  await eventually(() => blockedClients(raw), (b) => b >= n, `${n} blocked Redis clients`);
}
