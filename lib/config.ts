/**
 * Configuration from the environment. Every variable the original tool read keeps
 * its name and default; an unusable value is a ConfigError naming the variable.
 */
import { join } from "node:path";
import { ConfigError } from "./errors.ts";

/** Everything agent-mesh reads from the environment, validated. */
export interface Config {
  /** Redis URL when the Redis engine is selected, else undefined (embedded engine). */
  redisUrl?: string;
  /** Key prefix (`AGENT_MESH_PREFIX`, default `mesh`). */
  prefix: string;
  /** Sends per sender→target per 10 s window. */
  gateLimit: number;
  /** Refuse over-limit sends instead of only auditing them. */
  gateEnforce: boolean;
  /** Folder of the local files (cursors, notify logs, ledgers, locks). */
  home: string;
  /** SQLite file of the embedded engine. */
  dbPath: string;
  /** Largest message text accepted, in bytes of UTF-8. */
  maxBytes: number;
  /** How long a taken-but-unacknowledged inbox entry stays with its taker, in ms. */
  leaseMs: number;
}

type Env = (name: string) => string | undefined;

const denoEnv: Env = (name) => {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
};

/** The user's home folder: HOME, else USERPROFILE (Windows). */
export function userHome(env: Env = denoEnv): string {
  const home = env("HOME") || env("USERPROFILE");
  if (!home) {
    throw new ConfigError(
      "Cannot find your home folder: set HOME (or USERPROFILE), or AGENT_MESH_HOME",
    );
  }
  return home;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new ConfigError(`Invalid ${name} "${raw}": expected a positive whole number`);
  }
  return n;
}

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new ConfigError(`Invalid ${name} "${raw}": expected a positive number`);
  }
  return n;
}

function flag(env: Env, name: string): boolean {
  const raw = (env(name) ?? "").trim().toLowerCase();
  if (["", "0", "false", "no", "off"].includes(raw)) return false;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  throw new ConfigError(`Invalid ${name} "${raw}": expected 1 or 0`);
}

function redisUrl(env: Env): string | undefined {
  const raw = env("AGENT_MESH_REDIS_URL");
  if (raw === undefined || raw.trim() === "") return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`Invalid AGENT_MESH_REDIS_URL "${raw}": not a URL`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ConfigError(
      `Invalid AGENT_MESH_REDIS_URL "${raw}": expected redis:// or rediss://`,
    );
  }
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) {
    throw new ConfigError(
      `Invalid AGENT_MESH_REDIS_URL "${raw}": the database must be a number, as in redis://host:6379/0`,
    );
  }
  return raw;
}

function prefix(env: Env): string {
  const raw = env("AGENT_MESH_PREFIX");
  if (raw === undefined || raw === "") return "mesh";
  if (raw.length > 64 || !/^[\x21-\x7e]+$/.test(raw) || raw.includes("*")) {
    throw new ConfigError(
      `Invalid AGENT_MESH_PREFIX "${raw}": use up to 64 printable characters, no spaces or "*"`,
    );
  }
  return raw;
}

/** Reads and validates the configuration. `env` is injectable for tests. */
export function loadConfig(env: Env = denoEnv): Config {
  const home = env("AGENT_MESH_HOME") || join(userHome(env), ".cache", "agent-mesh");
  return {
    redisUrl: redisUrl(env),
    prefix: prefix(env),
    gateLimit: positiveInt(env, "AGENT_MESH_GATE_LIMIT", 40),
    gateEnforce: flag(env, "AGENT_MESH_GATE_ENFORCE"),
    home,
    dbPath: env("AGENT_MESH_DB") || join(home, "mesh.db"),
    maxBytes: positiveInt(env, "AGENT_MESH_MAX_BYTES", 256 * 1024),
    leaseMs: Math.round(positiveNumber(env, "AGENT_MESH_LEASE_S", 10) * 1000),
  };
}

/** The Redis URL with any password replaced by `***`, for messages. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return raw;
  }
}
