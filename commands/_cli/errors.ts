/**
 * How a failed command ends: one line on stderr, an exit code, and with
 * `--json` an error document on stdout, all from the error's class.
 */
import {
  ConfigError,
  GateDeniedError,
  MeshError,
  StoreError,
  TimeoutError,
  UsageError,
} from "../../lib/errors.ts";
import { lit, named, obj, oneOf, str } from "./shape.ts";

/** Ctrl-C or SIGTERM ended a command (exit 130). */
export class InterruptedError extends MeshError {
  override readonly exitCode = 130;
}

/** `--strict` refused a target that is neither registered nor has an inbox (exit 1). */
export class UnknownAgentError extends MeshError {}

/** A read-only command found no embedded database to read (exit 1). */
export class NoMeshError extends MeshError {}

/** The `code` of each error class, first match wins. */
const CODES: readonly [abstract new (...a: never[]) => Error, string][] = [
  [UsageError, "usage"],
  [ConfigError, "config"],
  [InterruptedError, "interrupted"],
  [TimeoutError, "timeout"],
  [GateDeniedError, "rate_limited"],
  [UnknownAgentError, "unknown_agent"],
  [NoMeshError, "no_mesh"],
  [StoreError, "store"],
  [MeshError, "runtime"],
];

/** The error document's `code` for `err`; `internal` for a bug. */
export function errorCode(err: unknown): string {
  return CODES.find(([cls]) => err instanceof cls)?.[1] ?? "internal";
}

/** What `--json` prints when a command fails. */
export const ERROR_DOC = named(
  "Error",
  obj({
    ok: lit(false),
    error: obj({ code: oneOf(...CODES.map(([, c]) => c), "internal"), message: str }),
  }),
);

/** Exit codes and what they mean. */
export const EXIT_CODES: readonly (readonly [number, string])[] = [
  [0, "success"],
  [
    1,
    "runtime failure (store unreachable, send refused by the rate gate, no pong or reply in time, unknown agent with --strict)",
  ],
  [2, "usage (bad command line, argument or environment value; nothing was written)"],
  [130, "interrupted by Ctrl-C or SIGTERM"],
];

/** Why some fields are strings and others numbers. */
export const TYPE_RULE =
  `Names and types are the original tool's wherever it has them, and the MCP tools' otherwise;
fields are added, never renamed or retyped. A value read from a stream entry is a string, as Redis
stores it (a message's "ts" is "1795562024.32"); the registry's JSON keeps the types the original
wrote (an agent's "ts" and "pid" are numbers).`;
