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
  /** Most unread messages one inbox holds; a send beyond is refused (InboxFullError). */
  maxUnread: number;
  /** Read entries kept per stream, and the length of the shared group stream. */
  history: number;
  /** Who hears about `--expect-reply` messages that never got a reply. */
  escalateTo: string;
  /** Seconds between re-pings of an overdue `--expect-reply` message, by try; its length is the tries. */
  repingS: number[];
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

/** A numeric setting: its variable, default, unit, and the range outside which it is refused. */
export interface NumericSetting {
  name: string;
  default: number;
  min: number;
  max: number;
  /** Whole numbers only. */
  integer: boolean;
  /** Unit as the README shows it ("", "s", "bytes"). */
  unit: string;
}

/**
 * Every numeric setting with its bounds, in one table (the README's Configuration
 * table lists the same bounds). A value outside them is a ConfigError: a lease of
 * 0.0001 s rounds to 0 ms and hands every message out twice, and 1e308 fails later.
 */
export const NUMERIC_SETTINGS = {
  gateLimit: {
    name: "AGENT_MESH_GATE_LIMIT",
    default: 40,
    min: 1,
    max: 1_000_000,
    integer: true,
    unit: "",
  },
  maxBytes: {
    name: "AGENT_MESH_MAX_BYTES",
    default: 256 * 1024,
    min: 1,
    max: 16 * 1024 * 1024,
    integer: true,
    unit: "bytes",
  },
  leaseS: {
    name: "AGENT_MESH_LEASE_S",
    default: 10,
    min: 0.1,
    max: 3600,
    integer: false,
    unit: "s",
  },
  maxUnread: {
    name: "AGENT_MESH_MAX_UNREAD",
    default: 10_000,
    min: 10,
    max: 10_000_000,
    integer: true,
    unit: "",
  },
  history: {
    name: "AGENT_MESH_HISTORY",
    default: 2000,
    min: 10,
    max: 1_000_000,
    integer: true,
    unit: "",
  },
} as const satisfies Record<string, NumericSetting>;

/** The value of `setting` in `env`, its default when unset; a ConfigError outside its bounds. */
function numeric(env: Env, setting: NumericSetting): number {
  const raw = env(setting.name);
  if (raw === undefined || raw.trim() === "") return setting.default;
  const text = raw.trim();
  const n = Number(text);
  const shape = setting.integer ? /^\d+$/ : /^(\d+\.?\d*|\.\d+)$/;
  if (!shape.test(text) || !Number.isFinite(n) || n < setting.min || n > setting.max) {
    const unit = setting.unit ? ` ${setting.unit}` : "";
    const kind = setting.integer ? "a whole number" : "a number";
    throw new ConfigError(
      `Invalid ${setting.name} "${raw}": expected ${kind} from ${setting.min} to ${setting.max}${unit}`,
    );
  }
  return n;
}

/**
 * The one vocabulary of on/off values, for settings and for the HTTP front's query:
 * 1, true, yes, on and 0, false, no, off (any case); undefined for anything else.
 */
export function switchWord(raw: string): boolean | undefined {
  const word = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(word)) return true;
  if (["0", "false", "no", "off"].includes(word)) return false;
  return undefined;
}

/** An on/off setting: unset or empty is off. */
function flag(env: Env, name: string): boolean {
  const raw = (env(name) ?? "").trim();
  const on = raw === "" ? false : switchWord(raw);
  if (on === undefined) throw new ConfigError(`Invalid ${name} "${raw}": expected 1 or 0`);
  return on;
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

function escalateTo(env: Env): string {
  const raw = env("AGENT_MESH_ESCALATE_TO");
  if (raw === undefined || raw.trim() === "") return "watchdog";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw.trim())) {
    throw new ConfigError(
      `Invalid AGENT_MESH_ESCALATE_TO "${raw}": expected an agent name (letters, digits, "_" and "-")`,
    );
  }
  return raw.trim();
}

/** The default re-ping backoff, in seconds (the original's). */
export const DEFAULT_REPING_S = [30, 60, 120, 240];

function repingS(env: Env): number[] {
  const raw = env("AGENT_MESH_REPING_S");
  if (raw === undefined || raw.trim() === "") return DEFAULT_REPING_S;
  const parts = raw.split(",").map((p) => p.trim());
  const values = parts.map(Number);
  if (
    parts.length > 10 || parts.some((p) => !/^\d+$/.test(p)) ||
    values.some((v) => v < 1 || v > 86_400)
  ) {
    throw new ConfigError(
      `Invalid AGENT_MESH_REPING_S "${raw}": expected 1 to 10 whole numbers of seconds from 1 to 86400, comma-separated (as 30,60,120,240)`,
    );
  }
  return values;
}

/** Reads and validates the configuration. `env` is injectable for tests. */
export function loadConfig(env: Env = denoEnv): Config {
  const home = env("AGENT_MESH_HOME") || join(userHome(env), ".cache", "agent-mesh");
  return {
    redisUrl: redisUrl(env),
    prefix: prefix(env),
    gateLimit: numeric(env, NUMERIC_SETTINGS.gateLimit),
    gateEnforce: flag(env, "AGENT_MESH_GATE_ENFORCE"),
    home,
    dbPath: env("AGENT_MESH_DB") || join(home, "mesh.db"),
    maxBytes: numeric(env, NUMERIC_SETTINGS.maxBytes),
    leaseMs: Math.round(numeric(env, NUMERIC_SETTINGS.leaseS) * 1000),
    maxUnread: numeric(env, NUMERIC_SETTINGS.maxUnread),
    history: numeric(env, NUMERIC_SETTINGS.history),
    escalateTo: escalateTo(env),
    repingS: repingS(env),
  };
}

/** The Redis URL with any password replaced by `***`, for messages. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    // A client may also take the password from the query (`?password=…`).
    for (const key of [...url.searchParams.keys()]) {
      if (/pass/i.test(key)) url.searchParams.set(key, "***");
    }
    return url.toString();
  } catch {
    return raw;
  }
}
