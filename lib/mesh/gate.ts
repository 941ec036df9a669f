/** The rate gate's fixed window, in seconds (the original's value). */
export const GATE_WINDOW_S = 10;

/** What the gate decided for one send. */
export type Verdict = "allow" | "observe" | "deny";

/** The verdict for the `count`-th send in a window: over `limit` is observed, or denied when enforcing. */
export function gateVerdict(count: number, limit: number, enforce: boolean): Verdict {
  if (count <= limit) return "allow";
  return enforce ? "deny" : "observe";
}
