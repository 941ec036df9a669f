/**
 * The text a hook puts into the model's context: the messages it takes, how
 * many more wait, and at a session's start what is still owed either way.
 * Kept within Claude Code's cap on a hook's additional context.
 */
import { Ledger, type LedgerEntry } from "../mesh/ledger.ts";
import type { Delivery } from "../mesh/listen.ts";
import type { Mesh } from "../mesh/mesh.ts";
import { askOf, openAsksTo } from "../mesh/asks.ts";
import { countAfter, peekNext, takeWaiting } from "../mesh/take.ts";
import { frameMessage, inlineName, quoteText, replyCall, timeOf } from "./frame.ts";
import { checkName } from "../names.ts";
import type { Reader } from "../mesh/states.ts";

/** Claude Code cuts a hook's additional context at 10,000 characters; we stay below. */
export const CONTEXT_BUDGET = 9000;
/** Below this much room, no further message is taken. */
const MIN_ROOM = 400;
/** Text of an obligation shown at most. */
const NOTE_CHARS = 200;

/** What a hook has to say, and the messages to acknowledge once it was said. */
export interface Gathered {
  lines: string[];
  deliveries: Delivery[];
}

function size(lines: string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}

/**
 * Takes `name`'s waiting messages into `lines` while there is room (a message too
 * long for the room left is shown cut, with a note), then says how many more wait.
 * `mayTake` is asked just before each take: false (its reader is gone) takes no more.
 */
export async function gatherMessages(
  mesh: Mesh,
  name: string,
  lines: string[],
  reader: Reader,
  budget = CONTEXT_BUDGET,
  mayTake: () => boolean = () => true,
): Promise<Delivery[]> {
  const frameOf = async (d: Delivery, maxText?: number) => {
    const m = d.message;
    const nonce = m.reply_to?.slice(m.reply_to.lastIndexOf(":") + 1);
    const ask = nonce ? await askOf(mesh, nonce).catch(() => null) : null;
    return frameMessage(m, {
      maxText,
      isReplyKey: (k) => mesh.keys.isReplyKey(k),
      expired: ask?.state === "done",
    });
  };
  // What the messages taken so far need, framed whole. The next one is taken
  // only when it fits whole too (the first one always: cut if it must be).
  let used = size(lines);
  const taken = await takeWaiting(mesh, name, async (so) => {
    if (!mayTake()) return false;
    const last = so.deliveries.at(-1);
    if (!last) return budget - used > MIN_ROOM;
    used += frameMessage(last.message).length + 1;
    const next = so.lastId ? await peekNext(mesh, name, so.lastId).catch(() => null) : null;
    return budget - used > Math.max(MIN_ROOM, next ? frameMessage(next).length + 1 : 0);
  }, reader);
  const framed: string[] = [];
  for (const d of taken.deliveries) {
    const left = budget - size(lines) - size(framed) - 300;
    framed.push(await frameOf(d, Math.max(200, left)));
  }
  lines.push(...framed);
  if (taken.deliveries.length > 0 || taken.lastId !== undefined) {
    const more = await countAfter(mesh, name, taken.lastId).catch(() => 0);
    if (more > 0) {
      lines.push(
        `[agent-mesh] ${more} more message${more === 1 ? "" : "s"} wait for you: they come with ` +
          `your next tool call or prompt, or call mcp__agent-mesh__mesh_listen now.`,
      );
    }
  }
  return taken.deliveries;
}

function ago(sec: number): string {
  const s = Math.max(0, Math.round(Date.now() / 1000 - sec));
  return s < 120
    ? `${s} s ago`
    : s < 7200
    ? `${Math.round(s / 60)} min ago`
    : `${Math.round(s / 3600)} h ago`;
}

/** Ledger entries of every sender in the agent-mesh home whose peer is `name`. */
async function owedBy(mesh: Mesh, name: string): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  try {
    for await (const e of Deno.readDir(mesh.config.home)) {
      const sender = e.name.match(/^pending-(.+)\.jsonl$/)?.[1];
      if (!e.isFile || !sender || sender === name) continue;
      try {
        checkName(sender);
      } catch {
        continue;
      }
      const entries = await new Ledger(mesh.config.home, sender).list();
      out.push(
        ...entries.filter((x) => x.peer === name && !x.escalated).map((x) => ({
          ...x,
          // The ledger is the sender's: its owner is who waits.
          peer: sender,
        })),
      );
    }
  } catch {
    // No home yet: nobody waits.
  }
  return out;
}

/**
 * At a session's start: requests to `name` whose askers still wait (shown again,
 * since the model may have lost them), what others wait for from `name`, and
 * what `name` waits for from others.
 */
export async function gatherObligations(
  mesh: Mesh,
  name: string,
  lines: string[],
  shownIds: Set<string>,
): Promise<void> {
  const notes: string[] = [];
  for (const ask of await openAsksTo(mesh, name)) {
    if (shownIds.has(ask.nonce)) continue;
    notes.push(
      `[agent-mesh] ${inlineName(ask.from)} still waits (until ${
        timeOf(String(ask.until))
      }) for your answer to its request (id ${ask.nonce}):\n${
        quoteText(ask.text.slice(0, NOTE_CHARS))
      }\n` +
        `[agent-mesh] answer with ${replyCall(ask.reply_to)}`,
    );
  }
  for (const e of await owedBy(mesh, name)) {
    notes.push(
      `[agent-mesh] ${inlineName(e.peer)} waits for a reply from you to its message of ${
        ago(e.sent_ts)
      }:\n${quoteText(e.note.slice(0, NOTE_CHARS))}`,
    );
  }
  const mine = new Ledger(mesh.config.home, name);
  if (mine.exists()) {
    const now = Date.now() / 1000;
    for (const e of await mine.list()) {
      if (e.deadline_ts > now) continue;
      notes.push(
        `[agent-mesh] you still wait for a reply from ${inlineName(e.peer)} to your message of ${
          ago(e.sent_ts)
        } (${e.tries} re-ping${e.tries === 1 ? "" : "s"}${e.escalated ? ", escalated" : ""}):\n${
          quoteText(e.note.slice(0, NOTE_CHARS))
        }`,
      );
    }
  }
  for (const note of notes) {
    if (size(lines) + note.length + 1 > CONTEXT_BUDGET) {
      lines.push("[agent-mesh] (more obligations left out: see agent-mesh pending)");
      break;
    }
    lines.push(note);
  }
}
