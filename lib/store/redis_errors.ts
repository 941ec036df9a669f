/**
 * Turns Redis client failures into one-line StoreErrors. Kept apart from the engine so
 * that every path (open, commands, blocking reads) words the same failure alike.
 */
import { StoreError } from "../errors.ts";

const START_HINT =
  `start it with "docker compose up -d" in the agent-mesh folder, or install and run redis-server`;
const AUTH_HINT = "check the user name and password in AGENT_MESH_REDIS_URL";
const TLS_HINT = "check whether the server speaks TLS (rediss://) or not (redis://)";
const CERT_HINT =
  "check the host name, or trust the server's certificate authority (DENO_CERT=ca.pem)";

/** Redis replies that only mean "not now": a restart is loading data, or a failover is running. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|READONLY|CLUSTERDOWN)\b/;

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split(/\r?\n/)[0].trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function code(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : "";
}

/** True for an error reply of the server (as opposed to a transport failure). */
export function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === "ReplyError";
}

/** True when retrying later may succeed: the connection failed, or Redis is busy starting. */
export function isTransient(err: unknown): boolean {
  if (err instanceof StoreError) return false;
  return !isReplyError(err) || TRANSIENT_REPLY.test(message(err));
}

function isAuth(err: unknown): boolean {
  return /WRONGPASS|NOAUTH|invalid (username|password)|NOPERM/i.test(message(err));
}

function isCert(err: unknown): boolean {
  return /CERT|UNABLE_TO_VERIFY|ALTNAME/.test(code(err)) || /certificate/i.test(message(err));
}

/** TLS spoken to a plain server or the reverse: handshake garbage, or a reset. */
function isTlsMismatch(err: unknown): boolean {
  return /^ERR_SSL|^ERR_TLS|^ECONNRESET$/.test(code(err)) ||
    /\b(SSL|TLS|wrong version number|packet length)\b/i.test(message(err));
}

/** A few words on why a connection failed, for the parentheses of a message. */
export function reasonOf(err: unknown): string {
  const c = code(err);
  const text = message(err);
  if (c === "ECONNREFUSED" || /ECONNREFUSED|connection refused/i.test(text)) {
    return "connection refused";
  }
  if (c === "ENOTFOUND" || c === "EAI_AGAIN" || /ENOTFOUND|getaddrinfo/i.test(text)) {
    return "host not found";
  }
  if (c === "ETIMEDOUT" || /ETIMEDOUT|timed out/i.test(text)) return "no answer in time";
  if (c === "EHOSTUNREACH" || c === "ENETUNREACH") return "host unreachable";
  if (c === "ECONNRESET" || c === "EPIPE") return "connection reset";
  if (/WRONGPASS|invalid (username|password)/i.test(text)) return "wrong user name or password";
  if (/NOAUTH/.test(text)) return "a password is required";
  if (/NOPERM/.test(text)) return "permission denied";
  if (err instanceof Error && err.name === "MaxRetriesPerRequestError") {
    return "no answer after several reconnects";
  }
  if (/Connection is closed/i.test(text)) return "connection closed";
  if (/DB index is out of range/i.test(text)) return "no such database";
  if (/Protocol error/i.test(text)) return "the server there does not speak Redis";
  return text || "unknown error";
}

/** The one-line error for a Redis that cannot be used at all (open, or lost later). */
export function unreachableError(location: string, err: unknown, lastSeen?: unknown): StoreError {
  // After the client gives up it reports only "max retries"/"closed": the socket error says more.
  const why = lastSeen !== undefined && !isReplyError(err) && !isAuth(err) ? lastSeen : err;
  const hint = isAuth(why)
    ? AUTH_HINT
    : isCert(why)
    ? CERT_HINT
    : isTlsMismatch(why)
    ? TLS_HINT
    : isReplyError(why)
    ? "check AGENT_MESH_REDIS_URL"
    : START_HINT;
  return new StoreError(`Cannot reach Redis at ${location} (${reasonOf(why)}): ${hint}`, {
    cause: why,
  });
}

/**
 * Maps any failure of a Redis command to a StoreError. `what` names the command and
 * key, as in `XADD "mesh:to_bob"`; `lastSeen` is the connection's latest socket error.
 */
export function toStoreError(
  location: string,
  what: string,
  err: unknown,
  lastSeen?: unknown,
): StoreError {
  if (err instanceof StoreError) return err;
  if (isReplyError(err) && !isAuth(err)) {
    return new StoreError(`Redis at ${location} refused ${what}: ${message(err)}`, { cause: err });
  }
  return unreachableError(location, err, lastSeen);
}
