/** Bounded waits on a condition, for the Claude Code harness (on timing.ts's `eventually`). */
import { eventually } from "../timing.ts";

/**
 * Resolves with the first non-null value of `probe`; rejects after `ms` with
 * "`what` within `ms` ms" and, when given, what `explain` says then.
 */
export async function waitUntil<T>(
  what: string,
  ms: number,
  probe: () => T | null | undefined | Promise<T | null | undefined>,
  explain?: () => string | Promise<string>,
): Promise<T> {
  try {
    return await eventually(
      async () => await probe(),
      (v) => v !== null && v !== undefined,
      what,
      ms,
    ) as T;
  } catch (err) {
    if (!(err as Error).message?.startsWith(`${what}: not so within`)) throw err; // the probe's own
    throw new Error(`${what} within ${ms} ms${explain ? `; ${await explain()}` : ""}`);
  }
}

/** Resolves with the text of `path` once it exists and is not empty; rejects after `ms`. */
export function waitForFile(
  path: string,
  ms = 60_000,
  explain?: () => string | Promise<string>,
): Promise<string> {
  return waitUntil(`${path} did not appear`, ms, () => {
    try {
      return Deno.readTextFileSync(path) || null;
    } catch {
      return null;
    }
  }, explain);
}
