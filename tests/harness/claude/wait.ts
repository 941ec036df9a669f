/** Bounded waits on a condition, for the Claude Code harness. */

/**
 * Resolves with the first non-null value of `probe`, checked every `everyMs`; rejects after
 * `ms` with "`what` within `ms` ms" and, when given, what `explain` says then.
 */
export async function waitUntil<T>(
  what: string,
  ms: number,
  probe: () => T | null | undefined | Promise<T | null | undefined>,
  explain?: () => string | Promise<string>,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = await probe();
    if (hit !== null && hit !== undefined) return hit;
    if (Date.now() > deadline) {
      throw new Error(`${what} within ${ms} ms${explain ? `; ${await explain()}` : ""}`);
    }
    // Pacing of the check only: the condition, not the delay, decides when the wait ends.
    await new Promise((r) => setTimeout(r, everyMs));
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
