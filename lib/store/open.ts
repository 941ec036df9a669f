/**
 * Opens the configured engine. Engines are loaded lazily so that a command that
 * uses SQLite never loads the Redis client, and the reverse.
 */
import type { Config } from "../config.ts";
import type { Store } from "./port.ts";

/** Opens the Redis engine when `AGENT_MESH_REDIS_URL` is set, else the embedded SQLite file. */
export async function openStore(config: Config): Promise<Store> {
  if (config.redisUrl) {
    const { openRedisStore } = await import("./redis.ts");
    const { originalCursors } = await import("./redis_cursors.ts");
    return await openRedisStore(config.redisUrl, originalCursors(config.home, config.prefix));
  }
  const { openSqliteStore } = await import("./sqlite.ts");
  return openSqliteStore(config.dbPath);
}
