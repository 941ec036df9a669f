/**
 * Opens the configured mesh for a command and closes it afterwards. Commands get
 * a `Mesh`; they never see a database driver.
 */
import { loadConfig } from "../lib/config.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { openStore } from "../lib/store/open.ts";
import { checkName } from "../lib/names.ts";
import { checkReplyKey, checkText } from "../lib/mesh/validate.ts";
import { Keys } from "../lib/mesh/keys.ts";

/** Input to check before the store is opened, so that bad input writes nothing. */
export interface Precheck {
  names?: Record<string, string | undefined>;
  text?: string;
  replyKey?: string;
}

/** Runs `fn` with an open mesh and closes it, whatever happens. */
export async function withMesh<T>(
  fn: (mesh: Mesh) => Promise<T>,
  check: Precheck = {},
): Promise<T> {
  const config = loadConfig();
  for (const [what, name] of Object.entries(check.names ?? {})) {
    if (name !== undefined) checkName(name, what);
  }
  if (check.text !== undefined) checkText(check.text, config.maxBytes);
  if (check.replyKey !== undefined) checkReplyKey(new Keys(config.prefix), check.replyKey);
  const store = await openStore(config);
  try {
    return await fn(new Mesh(store, config));
  } finally {
    await store.close();
  }
}

/** An AbortSignal that fires on Ctrl-C (and SIGTERM where the OS has it). */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  return {
    signal: ac.signal,
    dispose: () => signals.forEach((s) => Deno.removeSignalListener(s, onSignal)),
  };
}
