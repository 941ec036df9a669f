/**
 * The pending ledger: messages sent with expect-reply, kept per sender in
 * `pending-<sender>.jsonl` (the original's file and fields). Every read-modify-write
 * happens under an exclusive OS file lock and replaces the file atomically, so
 * `send` and the monitor can no longer lose each other's entries.
 */
import { agentFile, ensureHome } from "../paths.ts";
import { MeshError } from "../errors.ts";

/** One ledger line, with the original's field names. */
export interface LedgerEntry {
  id: string;
  dir: "out";
  peer: string;
  msg_id: string;
  sent_ts: number;
  deadline_ts: number;
  tries: number;
  note: string;
  escalated: boolean;
}

/** Seconds between re-pings by number of tries so far (the default of AGENT_MESH_REPING_S). */
export const BACKOFF_S = [30, 60, 120, 240] as const;

/** What housekeeping must do for one overdue entry. */
export interface OverdueAction {
  kind: "reping" | "escalate";
  entry: LedgerEntry;
  /** Who was messaged (set once sent): the peer, or the escalation target. */
  to?: string;
  /** For an escalation: true when the target is neither registered nor has an inbox. */
  unheard?: boolean;
}

/** The backoff after `tries` re-pings, capped at the last of `backoff`. */
export function backoffSeconds(tries: number, backoff: readonly number[] = BACKOFF_S): number {
  return backoff[Math.min(Math.max(tries, 0), backoff.length - 1)];
}

/**
 * Pure: the actions due at `now` (Unix seconds) and the entries as they are after
 * them. An entry past its deadline is re-pinged and its next deadline pushed back
 * by the backoff; after as many re-pings as `backoff` has steps it is escalated
 * once, then left alone.
 */
export function planOverdue(
  entries: LedgerEntry[],
  now: number,
  backoff: readonly number[] = BACKOFF_S,
): { actions: OverdueAction[]; entries: LedgerEntry[] } {
  const actions: OverdueAction[] = [];
  const next = entries.map((e) => {
    if (e.escalated || now < e.deadline_ts) return e;
    if (e.tries < backoff.length) {
      const updated = {
        ...e,
        tries: e.tries + 1,
        deadline_ts: now + backoffSeconds(e.tries, backoff),
      };
      actions.push({ kind: "reping", entry: updated });
      return updated;
    }
    const updated = { ...e, escalated: true };
    actions.push({ kind: "escalate", entry: updated });
    return updated;
  });
  return { actions, entries: next };
}

function parseLines(text: string): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line);
      if (e && typeof e === "object" && typeof e.peer === "string") out.push(e as LedgerEntry);
    } catch {
      // A torn or foreign line: skip it rather than lose the whole ledger.
    }
  }
  return out;
}

/** The ledger of one sender. */
export class Ledger {
  readonly path: string;
  readonly #lockPath: string;

  constructor(readonly home: string, readonly sender: string) {
    this.path = agentFile(home, "pending", sender);
    this.#lockPath = `${this.path}.lock`;
  }

  /** The entries, read under the lock. */
  list(): Promise<LedgerEntry[]> {
    return this.update((entries) => ({ entries, result: entries, write: false }));
  }

  /** Adds an entry. */
  async add(entry: LedgerEntry): Promise<void> {
    await this.update((entries) => ({ entries: [...entries, entry], result: undefined }));
  }

  /** Removes every entry for `peer`; returns how many went. */
  removePeer(peer: string): Promise<number> {
    return this.update((entries) => {
      const kept = entries.filter((e) => e.peer !== peer);
      return {
        entries: kept,
        result: entries.length - kept.length,
        write: kept.length !== entries.length,
      };
    });
  }

  /** Removes the entry `id` (a send that failed after its entry was added). */
  async removeId(id: string): Promise<void> {
    await this.update((entries) => {
      const kept = entries.filter((e) => e.id !== id);
      return { entries: kept, result: undefined, write: kept.length !== entries.length };
    });
  }

  /** True when the ledger file exists (cheap check before taking the lock). */
  exists(): boolean {
    try {
      Deno.statSync(this.path);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs `fn` on the entries under an exclusive lock and writes what it returns
   * (unless `write` is false), atomically: temp file, then rename.
   */
  async update<T>(
    fn: (entries: LedgerEntry[]) => { entries: LedgerEntry[]; result: T; write?: boolean },
  ): Promise<T> {
    try {
      return await this.#update(fn);
    } catch (err) {
      if (err instanceof MeshError) throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new MeshError(`Cannot update the pending ledger "${this.path}": ${why}`, {
        cause: err,
      });
    }
  }

  async #update<T>(
    fn: (entries: LedgerEntry[]) => { entries: LedgerEntry[]; result: T; write?: boolean },
  ): Promise<T> {
    ensureHome(this.home);
    using lock = await Deno.open(this.#lockPath, { create: true, write: true });
    await lock.lock(true);
    try {
      let text = "";
      try {
        text = await Deno.readTextFile(this.path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      const { entries, result, write = true } = fn(parseLines(text));
      if (write) {
        const tmp = `${this.path}.${Deno.pid}.tmp`;
        await Deno.writeTextFile(tmp, entries.map((e) => JSON.stringify(e) + "\n").join(""), {
          mode: 0o600,
        });
        await Deno.rename(tmp, this.path);
      }
      return result;
    } finally {
      await lock.unlock();
    }
  }
}
