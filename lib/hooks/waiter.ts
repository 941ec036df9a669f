/**
 * The Stop hook's waiter: Claude Code runs it in the background (`async` +
 * `asyncRewake`) at the end of every turn. It waits for the agent's next DIRECT
 * message; when one comes it writes it (and whatever else waits, within the
 * context cap) on stderr and exits 2, which wakes the idle session with it.
 *
 * One waiter per session: each writes a token into its session's waiter file,
 * and an older waiter that finds another token there ends without taking
 * anything. A waiter whose Claude Code is gone (it outlives Claude Code's exit:
 * it is re-parented) ends too. Should one end between taking a message and
 * writing it, the message is not acknowledged and is given out again after the
 * lease.
 */
import { join } from "node:path";
import { checkName } from "../names.ts";
import { ensureHome } from "../paths.ts";
import { chaseOverdue } from "../mesh/chase.ts";
import { appendNotify } from "../mesh/notify_log.ts";
import type { Mesh } from "../mesh/mesh.ts";
import { markListening, renew, unmarkListening } from "../mesh/presence.ts";
import type { Reader } from "../mesh/states.ts";
import { CONTEXT_BUDGET, gatherMessages } from "./context.ts";

/** How often a waiter checks that it is still wanted and its Claude Code still runs. */
export const CHECK_MS = 1000;
/** How often a waiting session renews its registration (180 s) and chases overdue replies. */
export const RENEW_MS = 60_000;

/** The waiter file of `name`'s session `sessionId`, inside the agent-mesh home. */
export function waiterFile(home: string, name: string, sessionId: string): Promise<string> {
  return sessionFile(home, "waiter", name, sessionId);
}

/**
 * A file of `name`'s Claude Code session `sessionId` inside the agent-mesh home:
 * the session id reaches the file name only as a hash.
 */
export async function sessionFile(
  home: string,
  kind: "waiter" | "seen",
  name: string,
  sessionId: string,
): Promise<string> {
  checkName(name);
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(sessionId)),
  );
  const hex = [...digest.slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return join(home, `${kind}-${name}-${hex}`);
}

function readToken(path: string): string | null {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return null;
  }
}

/** Makes any waiter of this session stop (SessionEnd, or a newer waiter). */
export function retire(path: string, token = "ended"): void {
  Deno.writeTextFileSync(path, `${token}\n`, { mode: 0o600 });
}

/** What the waiter ended with. */
export type WaitOutcome =
  | { kind: "woken"; text: string }
  | { kind: "replaced" | "orphaned" | "interrupted" };

/**
 * Waits for `name`'s next DIRECT message as the one waiter of `path`'s session.
 * `write` must resolve once the text is written for Claude Code (stderr).
 */
export async function waitForMessage(
  mesh: Mesh,
  name: string,
  o: {
    path: string;
    reader: Reader;
    signal: AbortSignal;
    write(text: string): Promise<void>;
  },
): Promise<WaitOutcome> {
  ensureHome(mesh.config.home);
  const token = crypto.randomUUID();
  retire(o.path, token);
  const parent = Deno.ppid;
  let why: "replaced" | "orphaned" | "interrupted" | null = null;
  const stop = new AbortController();
  const check = () => {
    if (o.signal.aborted) why = "interrupted";
    // Re-parented: Claude Code is gone (a parent of 1 from the start: it went first).
    else if (Deno.ppid !== parent || parent === 1) why = "orphaned";
    else if (readToken(o.path) !== token) why = "replaced";
    if (why) stop.abort();
    return why === null;
  };
  const timer = setInterval(check, CHECK_MS);
  o.signal.addEventListener("abort", check, { once: true });
  let renewedAt = 0;
  const inbox = mesh.keys.inbox(name);
  // Where the inbox ends, taken before the first look and then moved only by what
  // the blocking read returns: a message landing after a look found nothing lies
  // beyond it, so the read returns it at once. (Taken after the look, the position
  // would already be past such a message, and the waiter would sleep through it
  // until the read's time ran out: up to a lease.)
  let cursor: string | null = null;
  try {
    while (check()) {
      cursor ??= (await mesh.store.revRange(inbox, 1))[0]?.id ?? "0";
      if (Date.now() - renewedAt >= RENEW_MS) {
        renewedAt = Date.now();
        await renew(mesh, name, true).catch(() => {});
        await markListening(mesh, name, "hooks").catch(() => {});
        await chaseOverdue(mesh, name).catch(() => []);
      }
      // Taken only while this waiter is the one and its Claude Code runs: checked
      // again just before each take, since Claude Code may have gone since the loop's
      // check (a message taken by a waiter nobody reads waits out its lease).
      const lines: string[] = [];
      const taken = await gatherMessages(mesh, name, lines, o.reader, CONTEXT_BUDGET, check);
      if (taken.length > 0) {
        // A newer waiter of the same live session may have started meanwhile: this one
        // still shows what it took (the session is the same). Only a gone Claude Code,
        // or an interrupt, leaves it unacknowledged, given out again after the lease.
        check();
        if (why === "orphaned" || why === "interrupted") return { kind: why };
        const n = taken.length;
        const head = `[agent-mesh] ${n} new message${n === 1 ? "" : "s"} for ${name}:`;
        await o.write([head, ...lines].join("\n") + "\n");
        for (const d of taken) {
          await appendNotify(mesh, name, d.message).catch(() => {});
          await d.ack();
        }
        return { kind: "woken", text: lines.join("\n") };
      }
      // Nothing to take: wait for the inbox to change (a new entry), or for a lease
      // of a message another reader took and never acknowledged to run out.
      const got = await mesh.store.read({ [inbox]: cursor }, {
        blockMs: Math.min(RENEW_MS, mesh.config.leaseMs),
        signal: stop.signal,
      });
      cursor = got[0]?.entries.at(-1)?.id ?? cursor;
    }
    return { kind: why ?? "interrupted" };
  } finally {
    await unmarkListening(mesh, name, "hooks").catch(() => {});
    clearInterval(timer);
    o.signal.removeEventListener("abort", check);
    stop.abort();
  }
}
