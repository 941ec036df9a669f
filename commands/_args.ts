/**
 * Command-line parsing shared by every command: node:util parseArgs in strict
 * mode, with its errors turned into one-line UsageErrors.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../lib/errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parsed flags and named positionals. */
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `argv` for command `name`: `required` positionals must all be there, at
 * most `required + optional` are allowed.
 */
export function parse(
  name: string,
  argv: string[],
  options: Options,
  required: string[],
  optional: string[] = [],
): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = (err as Error).message.split("\n")[0].replace(/\.$/, "");
    const ambiguous = msg.match(/^Option '(--?[\w-]+)(?:, -\w)?' argument is ambiguous/);
    if (ambiguous) {
      const value = argv[argv.indexOf(ambiguous[1]) + 1] ?? "";
      throw new UsageError(
        `Invalid ${ambiguous[1]} "${value}": ${
          /^-\d/.test(value)
            ? "negative numbers are not accepted"
            : 'a value may not start with "-"'
        }`,
      );
    }
    throw new UsageError(`${msg} (see "agent-mesh help ${name}")`);
  }
  const pos = parsed.positionals;
  if (pos.length < required.length) {
    throw new UsageError(
      `Missing ${required[pos.length]} (usage: agent-mesh ${name} ${
        [...required, ...optional.map((o) => `[${o}]`)].join(" ")
      })`,
    );
  }
  if (pos.length > required.length + optional.length) {
    throw new UsageError(
      `Unexpected argument "${
        pos[required.length + optional.length]
      }" (see "agent-mesh help ${name}"; quote a message that has spaces)`,
    );
  }
  return { values: parsed.values as Parsed["values"], positionals: pos };
}

/** A number of seconds from a flag: a non-negative number, else a UsageError. */
export function seconds(raw: string | boolean | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < 0) {
    throw new UsageError(`Invalid ${flag} "${raw}": expected a number of seconds, 0 or more`);
  }
  return n;
}

/** A string flag's value (undefined when absent). */
export function str(raw: string | boolean | undefined): string | undefined {
  return typeof raw === "string" ? raw : undefined;
}

/** Prints one JSON document on stdout. */
export function printJson(doc: unknown): void {
  console.log(JSON.stringify(doc));
}
