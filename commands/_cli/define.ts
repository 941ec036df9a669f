/**
 * What a command is: one definition (arguments, flags, conflicts, output shape,
 * `run`) from which the parser, the help, the usage line, the main help and
 * the README's command table are all produced.
 *
 * A definition file stays cheap to load (`--help` loads them all): it imports
 * heavy modules (lib/mesh, lib/store, the MCP SDK, drivers) only as types, and
 * gets what it needs at run time from the `RunContext`.
 */
import type { Config } from "../../lib/config.ts";
import type { Mesh } from "../../lib/mesh/mesh.ts";
import type { Lib } from "./lib.ts";
import type { Shape } from "./shape.ts";

interface FlagCommon {
  /** One line (or a few) for the help. */
  help: string;
  /** One-letter alias, as in `-p`. */
  short?: string;
}

/** A switch: true when given. */
export interface BooleanFlag extends FlagCommon {
  type: "boolean";
}

/** Free text. */
export interface StringFlag extends FlagCommon {
  type: "string";
  /** Placeholder of the value in the help: `--role TEXT`. */
  value: string;
  required?: boolean;
  default?: string;
  /** The only values accepted. */
  choices?: readonly string[];
  /** Longest value accepted, in characters. */
  maxLength?: number;
}

/** An agent name, checked against the name rule when parsed. */
export interface NameFlag extends FlagCommon {
  type: "name";
  value: string;
  required?: boolean;
  /** How errors call it (default: `--flag name`). */
  what?: string;
}

/** A number; seconds are `{ min: 0, unit: "seconds" }`. */
export interface NumberFlag extends FlagCommon {
  type: "number";
  value: string;
  default?: number;
  min?: number;
  max?: number;
  integer?: boolean;
  /** What the number counts, for errors: "seconds". */
  unit?: string;
}

/** The sender of commands that send when neither `--from` nor `AGENT_MESH_AGENT` names one. */
export const ANONYMOUS = "cli";

/**
 * The sender of a command that sends: the flag, else `AGENT_MESH_AGENT`, else the
 * anonymous `cli` (`ANONYMOUS`). Always resolved to a checked name.
 */
export interface SenderFlag extends FlagCommon {
  type: "sender";
}

/** One flag of a command. */
export type FlagSpec = BooleanFlag | StringFlag | NameFlag | NumberFlag | SenderFlag;

/** One positional argument. */
export interface ArgSpec {
  /** Upper-case placeholder, also the key in `ctx.args`: `TARGET`. */
  name: string;
  help: string;
  /** `name` is checked against the agent-name rule; `text` is a message (see `file`). */
  type?: "string" | "name" | "text";
  optional?: boolean;
  /** The only values accepted. */
  choices?: readonly string[];
  /** How errors call a `name` argument ("target name"). */
  what?: string;
  /**
   * For `text`: the flag (`file`) that gives the text from a file instead. The
   * argument is then required unless that flag is given, and not allowed with it;
   * `-` as the argument reads standard input.
   */
  file?: string;
}

/** Flags that go only with another: `{ port: "http" }`. */
export type Requires = Readonly<Record<string, string>>;

/** Flags (or arguments) that cannot be given with `with`. */
export interface Conflict {
  flags: readonly string[];
  with: string;
  /** The error, when the generated one is not clear enough. */
  message?: string;
}

/** The value a flag has in `ctx.flags`. */
export type FlagValue<S> = S extends BooleanFlag ? boolean
  : S extends SenderFlag ? string
  : S extends { type: "number"; default: number } ? number
  : S extends NumberFlag ? number | undefined
  : S extends { required: true } ? string
  : S extends { default: string } ? string
  : string | undefined;

/** `ctx.flags` of a command with flags `F` (plus `json`, which every command has). */
export type FlagValues<F> = { readonly [K in keyof F]: FlagValue<F[K]> } & {
  readonly json: boolean;
};

/** `ctx.args` of a command with arguments `A`, by placeholder. */
export type ArgValues<A extends readonly ArgSpec[]> = {
  readonly [S in A[number] as S["name"]]: S extends { optional: true } ? string | undefined
    : string;
};

/** What `run` gets from the dispatcher. */
export interface RunContext<Args = Record<string, string | undefined>, Flags = AnyFlags> {
  readonly name: string;
  readonly args: Args;
  readonly flags: Flags;
  /** `--json` was given: print one JSON document on stdout (errors included). */
  readonly json: boolean;
  /** The configuration from the environment (loaded on first use). */
  readonly config: Config;
  /** The mesh, opened on first call and closed after `run`. */
  mesh(): Promise<Mesh>;
  /** The functions of lib/mesh (and other heavy modules) the commands use, loaded on first call. */
  lib(): Promise<Lib>;
  /**
   * Fires on Ctrl-C or SIGTERM. Reading it installs the handlers; once it has
   * fired, whatever `run` returns, the command exits 130 as interrupted.
   */
  readonly signal: AbortSignal;
  /** Prints `doc` as JSON with `--json`, else `text` (when not empty), on stdout. */
  emit(doc: unknown, text?: string): void;
  /** One line on stdout, text mode only. */
  print(line: string): void;
  /** One line on stderr, prefixed `agent-mesh: ` when `prefixed`. */
  note(line: string, prefixed?: boolean): void;
  /** Says on stderr what a long wait is for, when stderr is a terminal. */
  waiting(what: string): void;
}

/** Flags of an erased command. */
export type AnyFlags = Readonly<Record<string, string | number | boolean | undefined>> & {
  readonly json: boolean;
};

/** A command's definition. */
export interface CommandDef<
  A extends readonly ArgSpec[] = readonly ArgSpec[],
  F extends Readonly<Record<string, FlagSpec>> = Readonly<Record<string, FlagSpec>>,
> {
  name: string;
  /** Lower-case phrase for the command list: "send a message to an agent". */
  summary: string;
  /** Paragraphs for `help NAME`, after the flags. */
  description?: string;
  args?: A;
  flags?: F;
  requires?: Requires;
  conflicts?: readonly Conflict[];
  /** The command never writes (nothing to the store, no file). */
  readOnly?: boolean;
  /** Ctrl-C and SIGTERM are its normal stop (a server): it exits with `run`'s code, not 130. */
  shutdownOnSignal?: boolean;
  /** The JSON document that `--json` prints (for `monitor`: each line). */
  output: Shape;
  run(ctx: RunContext<ArgValues<A>, FlagValues<F>>): Promise<number | void>;
}

/** A definition with its types erased, as the dispatcher holds it. */
export interface Command {
  name: string;
  summary: string;
  description?: string;
  args: readonly ArgSpec[];
  flags: Readonly<Record<string, FlagSpec>>;
  requires: Requires;
  conflicts: readonly Conflict[];
  readOnly: boolean;
  shutdownOnSignal: boolean;
  output: Shape;
  run(ctx: RunContext): Promise<number | void>;
}

/** The `--json` flag every command gets. */
export const JSON_FLAG: BooleanFlag = {
  type: "boolean",
  help: 'print one JSON document on stdout, errors included (see "agent-mesh help json")',
};

/** Defines a command; the types of `ctx.args` and `ctx.flags` follow from `args` and `flags`. */
export function defineCommand<
  const A extends readonly ArgSpec[] = readonly [],
  const F extends Readonly<Record<string, FlagSpec>> = Record<never, FlagSpec>,
>(def: CommandDef<A, F>): Command {
  return {
    name: def.name,
    summary: def.summary,
    description: def.description,
    args: def.args ?? [],
    flags: { ...def.flags, json: JSON_FLAG },
    requires: def.requires ?? {},
    conflicts: def.conflicts ?? [],
    readOnly: def.readOnly ?? false,
    shutdownOnSignal: def.shutdownOnSignal ?? false,
    output: def.output,
    run: def.run as unknown as Command["run"],
  };
}
