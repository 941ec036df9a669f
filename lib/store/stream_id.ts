/**
 * Redis-shaped stream ids (`<ms>-<seq>`) as the embedded engine reads and writes
 * them. Ids compare as the pair (ms, seq), as on Redis, so an id written by hand
 * (`"1700000000000-0"`, or just `"1700000000000"`) works as a cursor too.
 */
import { StoreError } from "../errors.ts";

/** A position in a stream: an id split into its two numbers. */
export interface StreamPos {
  ms: number;
  seq: number;
}

// Numbers beyond this cannot be told apart in JS; clamping keeps their order
// against every real id (which are far smaller).
const MAX = Number.MAX_SAFE_INTEGER;

/** Before every entry (`"0"`, `"-"`). */
export const FIRST_POS: StreamPos = { ms: 0, seq: 0 };
/** After every entry (`"+"`). */
export const LAST_POS: StreamPos = { ms: MAX, seq: MAX };

const ID_PATTERN = /^(\d{1,20})(?:-(\d{1,20}))?$/;

/** Parses `<ms>-<seq>` or `<ms>` (then `seq` is `missingSeq`); throws StoreError when malformed. */
export function parseId(raw: string, missingSeq = 0): StreamPos {
  const match = typeof raw === "string" ? ID_PATTERN.exec(raw) : null;
  if (!match) throw new StoreError(`Invalid stream id ${JSON.stringify(raw)}`);
  return {
    ms: Math.min(Number(match[1]), MAX),
    seq: match[2] === undefined ? missingSeq : Math.min(Number(match[2]), MAX),
  };
}

/** Formats a position as an id. */
export function formatId(pos: StreamPos): string {
  return `${pos.ms}-${pos.seq}`;
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function comparePos(a: StreamPos, b: StreamPos): number {
  return a.ms - b.ms || a.seq - b.seq;
}

/**
 * Parses a range bound: `"-"`/`"+"`, an id, or `"("` + id for an exclusive bound
 * (as Redis 6.2+). Returns the inclusive position, or null when nothing can match.
 */
export function parseBound(raw: string, side: "start" | "end"): StreamPos | null {
  if (side === "start" && raw === "-") return FIRST_POS;
  if (side === "end" && raw === "+") return LAST_POS;
  const exclusive = typeof raw === "string" && raw.startsWith("(");
  const pos = parseId(exclusive ? raw.slice(1) : raw, side === "start" ? 0 : MAX);
  if (!exclusive) return pos;
  if (side === "start") {
    if (pos.seq < MAX) return { ms: pos.ms, seq: pos.seq + 1 };
    return pos.ms < MAX ? { ms: pos.ms + 1, seq: 0 } : null;
  }
  if (pos.seq > 0) return { ms: pos.ms, seq: pos.seq - 1 };
  return pos.ms > 0 ? { ms: pos.ms - 1, seq: MAX } : null;
}
