/**
 * Parses a command line against a command's definition: node:util parseArgs
 * splits it into tokens, and every rule of the definition (unknown flags, values,
 * required arguments and flags, conflicts, names, numbers, the sender) is
 * checked here, each failure one UsageError line.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../../lib/errors.ts";
import { checkName } from "../../lib/names.ts";
import { ANONYMOUS, type ArgSpec, type Command, type FlagSpec, type NumberFlag } from "./define.ts";
import { flagLabel, usageLine } from "./help.ts";
import { didYouMean } from "./suggest.ts";

/** A parsed command line. */
export interface Parsed {
  args: Record<string, string | undefined>;
  flags: Record<string, string | number | boolean | undefined> & { json: boolean };
}

type Env = (name: string) => string | undefined;

const denoEnv: Env = (name) => Deno.env.get(name);

function usageHint(cmd: Command): string {
  return `usage: ${usageLine(cmd)}`;
}

function seeHelp(cmd: Command): string {
  return `see "agent-mesh help ${cmd.name}"`;
}

/** Parses `argv` (the words after the command name) for `cmd`. */
export function parseCommand(cmd: Command, argv: readonly string[], env: Env = denoEnv): Parsed {
  // The dispatcher shows the help before parsing; it is here for "did you mean --help?".
  const options: Record<string, { type: "boolean" | "string"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, spec] of Object.entries(cmd.flags)) {
    options[name] = { type: spec.type === "boolean" ? "boolean" : "string" };
    if (spec.short) options[name].short = spec.short;
  }
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const raw: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== "option") continue;
    // parseArgs names a known short flag by its long name, an unknown one by its letter.
    const name = Object.hasOwn(options, token.name) ? token.name : undefined;
    if (name === "help") continue;
    const spec = name === undefined ? undefined : cmd.flags[name];
    if (name === undefined || spec === undefined) {
      const known = [...Object.keys(cmd.flags), "help"];
      const given = token.rawName.replace(/^-+/, "");
      throw new UsageError(
        `Unknown flag "${token.rawName}"${
          didYouMean(given, known, (k) => `--${k}`) || ` (${seeHelp(cmd)})`
        }`,
      );
    }
    const label = flagLabel(name, spec);
    if (name in raw) throw new UsageError(`${label} is given twice`);
    if (spec.type === "boolean") {
      if (token.inlineValue) {
        throw new UsageError(`--${name} takes no value (given "${token.value}")`);
      }
      raw[name] = true;
      continue;
    }
    const value = token.value;
    if (
      value === undefined ||
      (!token.inlineValue && value.startsWith("-") && value !== "-" && !/^-[\d.]/.test(value))
    ) {
      throw new UsageError(
        `Missing value for ${label}${
          value === undefined ? "" : ` ("${value}" is a flag; write --${name}=${value} to mean it)`
        }`,
      );
    }
    raw[name] = value;
  }
  checkRules(cmd, raw);
  const args = assignArgs(cmd, positionals, raw);
  checkRequired(cmd, raw);
  const flags: Parsed["flags"] = { json: raw.json === true };
  for (const [name, spec] of Object.entries(cmd.flags)) {
    flags[name] = flagValue(cmd, name, spec, raw[name], env);
  }
  return { args, flags };
}

function checkRules(cmd: Command, raw: Record<string, string | boolean>): void {
  const given = (name: string) => name in raw;
  for (const [flag, needed] of Object.entries(cmd.requires)) {
    if (given(flag) && !given(needed)) {
      const all = Object.keys(cmd.requires).filter((f) => cmd.requires[f] === needed)
        .map((f) => `--${f}`);
      const list = all.length === 1
        ? all[0]
        : `${all.slice(0, -1).join(", ")} and ${all[all.length - 1]}`;
      throw new UsageError(
        `${list} ${all.length === 1 ? "goes" : "go"} with --${needed} (${seeHelp(cmd)})`,
      );
    }
  }
  for (const c of cmd.conflicts) {
    const clash = c.flags.find(given);
    if (clash !== undefined && given(c.with)) {
      throw new UsageError(c.message ?? `--${clash} cannot be used with --${c.with}`);
    }
  }
}

function checkRequired(cmd: Command, raw: Record<string, string | boolean>): void {
  for (const [name, spec] of Object.entries(cmd.flags)) {
    if ("required" in spec && spec.required && !(name in raw)) {
      throw new UsageError(`Missing ${flagLabel(name, spec)} (${usageHint(cmd)})`);
    }
  }
}

function assignArgs(
  cmd: Command,
  positionals: string[],
  raw: Record<string, string | boolean>,
): Record<string, string | undefined> {
  const expected: ArgSpec[] = [];
  for (const a of cmd.args) {
    if (a.file !== undefined && a.file in raw) continue; // the text comes from the file
    expected.push(a);
  }
  const args: Record<string, string | undefined> = {};
  for (const [i, a] of expected.entries()) {
    const value = positionals[i];
    if (value === undefined) {
      if (a.optional) continue;
      const choices = a.choices ? `: expected ${a.choices.join(" or ")}` : "";
      throw new UsageError(`Missing ${a.name}${choices} (${usageHint(cmd)})`);
    }
    args[a.name] = checkArg(a, value);
  }
  if (positionals.length > expected.length) {
    const extra = positionals[expected.length];
    const fileArg = cmd.args.find((a) => a.file !== undefined && a.file in raw);
    if (fileArg) {
      throw new UsageError(
        `Give ${fileArg.name} as an argument or with --${fileArg.file}, not both (got "${extra}")`,
      );
    }
    throw new UsageError(
      `Unexpected argument "${extra}" (${seeHelp(cmd)}; quote a message that has spaces)`,
    );
  }
  return args;
}

function checkArg(a: ArgSpec, value: string): string {
  if (a.choices && !a.choices.includes(value)) {
    const what = a.name.toLowerCase();
    throw new UsageError(
      `Unknown ${what} "${value}": expected ${a.choices.join(" or ")}${
        didYouMean(value, a.choices)
      }`,
    );
  }
  if (a.type === "name") {
    checkName(value, a.what ?? (a.name === "NAME" ? "agent name" : `${a.name.toLowerCase()} name`));
  }
  return value;
}

function flagValue(
  cmd: Command,
  name: string,
  spec: FlagSpec,
  raw: string | boolean | undefined,
  env: Env,
): string | number | boolean | undefined {
  switch (spec.type) {
    case "boolean":
      return raw === true;
    case "sender": {
      if (typeof raw === "string") return checkName(raw, "sender name");
      const fromEnv = env("AGENT_MESH_AGENT");
      return fromEnv ? checkName(fromEnv, "AGENT_MESH_AGENT name") : ANONYMOUS;
    }
    case "name":
      return typeof raw === "string" ? checkName(raw, spec.what ?? `--${name} name`) : undefined;
    case "number":
      return typeof raw === "string" ? numberValue(name, spec, raw) : spec.default;
    case "string": {
      if (typeof raw !== "string") return spec.default;
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new UsageError(
          `Invalid --${name} "${raw}": expected ${spec.choices.join(" or ")}${
            didYouMean(raw, spec.choices)
          }`,
        );
      }
      if (spec.maxLength !== undefined && raw.length > spec.maxLength) {
        throw new UsageError(
          `Invalid --${name}: use text of at most ${spec.maxLength} characters (${seeHelp(cmd)})`,
        );
      }
      return raw;
    }
  }
}

function numberValue(name: string, spec: NumberFlag, raw: string): number {
  const n = raw.trim() === "" ? NaN : Number(raw);
  const { min, max, integer, unit } = spec;
  if (Number.isFinite(n) && n < 0 && (min ?? 0) >= 0) {
    throw new UsageError(`Invalid --${name} "${raw}": negative numbers are not accepted`);
  }
  const ok = Number.isFinite(n) && (!integer || /^\d+$/.test(raw.trim())) &&
    (min === undefined || n >= min) && (max === undefined || n <= max);
  if (!ok) {
    const kind = `${integer ? "a whole number" : "a number"}${unit ? ` of ${unit}` : ""}`;
    const range = min !== undefined && max !== undefined
      ? ` from ${min} to ${max}`
      : min !== undefined
      ? `, ${min} or more`
      : "";
    throw new UsageError(`Invalid --${name} "${raw}": expected ${kind}${range}`);
  }
  return n;
}
