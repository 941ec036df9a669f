#!/usr/bin/env -S deno run -A
/**
 * agent-mesh: messaging between AI agents. This entrypoint prints the version
 * itself and hands everything else to the dispatcher, loaded at run time so that
 * `--version` reads nothing else; each command is loaded on demand.
 */
import { VERSION } from "./lib/version.ts";

if (import.meta.main) {
  const [first] = Deno.args;
  if (first === "-V" || first === "--version" || first === "version") {
    console.log(`agent-mesh ${VERSION}`);
    Deno.exit(0);
  }
  // A specifier built at run time: a literal one would be loaded even for --version.
  const dispatch = "./commands/_cli/dispatch.ts";
  const { main } = await import(new URL(dispatch, import.meta.url).href);
  Deno.exit(await main(Deno.args));
}
