/**
 * How to run this very program again: the compiled binary itself, or
 * `deno run -A <main module>` when running from source or from a URL.
 */
import { fileURLToPath } from "node:url";

/** True when running as a `deno compile` binary. */
export function isCompiled(): boolean {
  return !/^deno(\.exe)?$/i.test(Deno.execPath().split(/[\\/]/).pop() ?? "");
}

/** The command and leading arguments that start agent-mesh. */
export function selfCommand(): { command: string; args: string[] } {
  if (isCompiled()) return { command: Deno.execPath(), args: [] };
  const main = new URL("../main.ts", import.meta.url);
  const target = main.protocol === "file:" ? fileURLToPath(main) : main.href;
  return { command: Deno.execPath(), args: ["run", "-A", target] };
}
