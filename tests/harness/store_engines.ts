/**
 * The storage engines the conformance suite runs against, each able to open a
 * fresh, private store for one test and to remove every trace of it afterwards.
 *
 * embedded: a new SQLite file in a new temp dir per test.
 * redis: one real redis-server per test file (started by the first test that needs
 * it, stopped when the file's tests end), a random key prefix per test.
 */
import { join } from "node:path";
import type { Store } from "../../lib/store/port.ts";
import { type RedisServer, skipRedis, startRedis } from "./redis_server.ts";
import { eventually, withDeadline } from "./timing.ts";

/** A store opened for one test. Dispose it (`await using`) to close it and remove its data. */
export interface OpenedStore extends AsyncDisposable {
  readonly store: Store;
  /** Environment a subprocess needs to open the same store with `loadConfig()` + `openStore()`. */
  readonly env: Record<string, string>;
  /** This test's random key prefix (also `AGENT_MESH_PREFIX` in `env`). */
  readonly prefix: string;
  /** `prefix:name`: a key of this test. */
  key(name: string): string;
  /** Opens another store on the same data (a second handle or connection), closed on dispose. */
  reopen(): Promise<Store>;
  /** Closes `store` once; disposing then does not close it again. */
  close(): Promise<void>;
  /**
   * Waits until at least `n` reads or consumes are blocked on this store's data, in
   * any process, so that an append made now must wake them. Redis: clients blocked
   * in XREAD/XREADGROUP (INFO clients). Embedded: rows of the `waiters` table, one
   * per stream and blocked process.
   */
  untilBlocked(n: number): Promise<void>;
}

/** One engine of the suite. */
export interface EngineCase {
  readonly name: "embedded" | "redis";
  /** True when the engine cannot run here (redis-server missing, and not required). */
  readonly ignore: boolean;
  /** Extra `Deno.test` options this engine needs. */
  readonly testOptions: Pick<Deno.TestDefinition, "sanitizeOps" | "sanitizeResources">;
  open(): Promise<OpenedStore>;
}

const CLOSE_DEADLINE_MS = 10_000;

function randomPrefix(): string {
  return `t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** Builds an OpenedStore around `store`; `cleanup` runs after every store is closed. */
function opened(
  store: Store,
  env: Record<string, string>,
  prefix: string,
  openAgain: () => Promise<Store>,
  untilBlocked: (n: number) => Promise<void>,
  cleanup: () => Promise<void>,
): OpenedStore {
  const others: Store[] = [];
  let closing: Promise<void> | null = null;
  const close = () => closing ??= withDeadline(store.close(), CLOSE_DEADLINE_MS, "store.close()");
  return {
    store,
    env,
    prefix,
    key: (name) => `${prefix}:${name}`,
    async reopen() {
      const other = await openAgain();
      others.push(other);
      return other;
    },
    close,
    untilBlocked,
    async [Symbol.asyncDispose]() {
      try {
        for (const other of others) {
          await withDeadline(other.close(), CLOSE_DEADLINE_MS, "store.close() of a reopened store");
        }
        await close();
      } finally {
        await cleanup();
      }
    },
  };
}

async function openEmbedded(): Promise<OpenedStore> {
  const { openSqliteStore } = await import("../../lib/store/sqlite.ts");
  const dir = await Deno.makeTempDir({ prefix: "agent-mesh-store-" });
  const path = join(dir, "mesh.db");
  const prefix = randomPrefix();
  const removeDir = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  let store: Store;
  try {
    store = await openSqliteStore(path);
  } catch (err) {
    await removeDir();
    throw err;
  }
  // AGENT_MESH_REDIS_URL is emptied so that a Redis URL in the caller's environment
  // cannot send the subprocess to another engine.
  const env = {
    AGENT_MESH_DB: path,
    AGENT_MESH_REDIS_URL: "",
    AGENT_MESH_HOME: dir,
    AGENT_MESH_PREFIX: prefix,
  };
  const untilBlocked = async (n: number) => {
    const { DatabaseSync } = await import("node:sqlite");
    const waiters = () => {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return Promise.resolve(Number(db.prepare("SELECT count(*) AS n FROM waiters").get()?.n));
      } finally {
        db.close();
      }
    };
    await eventually(waiters, (count) => count >= n, `${n} rows in waiters`);
  };
  return opened(store, env, prefix, () => openSqliteStore(path), untilBlocked, removeDir);
}

let sharedRedis: Promise<RedisServer> | null = null;

/** The file's redis-server, started on first use and stopped when the file's tests end. */
function redisServer(): Promise<RedisServer> {
  return sharedRedis ??= startRedis().then((server) => {
    // "unload" fires once the file's tests are done. stop() sends SIGTERM at once
    // (synchronously); the process is not awaited since nothing async runs here.
    globalThis.addEventListener("unload", () => {
      void server.stop();
      try {
        Deno.removeSync(server.dir, { recursive: true });
      } catch { /* already gone */ }
    });
    return server;
  });
}

async function openRedis(): Promise<OpenedStore> {
  const { openRedisStore } = await import("../../lib/store/redis.ts");
  const { url } = await redisServer();
  const prefix = randomPrefix();
  const store = await openRedisStore(url);
  const env = { AGENT_MESH_REDIS_URL: url, AGENT_MESH_PREFIX: prefix };
  // Deletes this test's keys through a fresh connection: the test may have closed its own.
  const removeKeys = async () => {
    const cleaner = await openRedisStore(url);
    try {
      const keys = await cleaner.scan(prefix);
      if (keys.length > 0) await cleaner.del(...keys);
    } finally {
      await cleaner.close();
    }
  };
  const untilBlocked = async (n: number) => {
    const { rawClient, untilBlockedClients } = await import("./redis_raw.ts");
    await using raw = await rawClient(url);
    await untilBlockedClients(raw, n);
  };
  return opened(store, env, prefix, () => openRedisStore(url), untilBlocked, removeKeys);
}

/** The engines to run the conformance suite against. */
export function engines(): EngineCase[] {
  return [
    { name: "embedded", ignore: false, testOptions: {}, open: openEmbedded },
    {
      name: "redis",
      ignore: skipRedis(),
      // The shared redis-server is a child process of the test file, started inside
      // whichever Redis test runs first and stopped after the last one. With
      // --sanitize-resources / --sanitize-ops, Deno would pin that child and its
      // pending exit-status op on the first test and fail it. (Both sanitizers are
      // off by default in Deno 2.9.)
      testOptions: { sanitizeResources: false, sanitizeOps: false },
      open: openRedis,
    },
  ];
}
