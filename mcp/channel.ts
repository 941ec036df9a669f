/**
 * A session bound to an agent (`serve --as NAME`, `/mcp?as=NAME`).
 *
 * The one rule for taking: a message leaves NAME's inbox only where it is handed
 * to its reader (CLI listen/monitor, a mesh_listen result, a Claude Code hook's
 * output). A push takes nothing. With channels on, the session pushes wake-ups:
 * a `notifications/claude/channel` event saying who wrote and how many wait.
 * The turn that the event starts runs the agent's UserPromptSubmit hook, which
 * takes the messages into the model's context (the event's text also names the
 * tool that reads them, should no hook run). So a health check (`claude mcp
 * list`), an inspector or a client that drops channel events loses nothing.
 *
 * Presence: the session registers NAME (and renews it, and chases NAME's
 * overdue replies) only from its first tool call on, so a health check neither
 * registers nor deregisters anyone; it deregisters at the end if it registered.
 */
import { CHASE_EVERY_MS, chaseOverdue } from "../lib/mesh/chase.ts";
import type { Mesh } from "../lib/mesh/mesh.ts";
import { type Message, parseEntry } from "../lib/mesh/message.ts";
import { deregister, register, renew } from "../lib/mesh/presence.ts";
import { logError } from "./context.ts";

/** The JSON-RPC method of a Claude Code channel event. */
export const CHANNEL_METHOD = "notifications/claude/channel";

/** Longest blocking read of the wake-up loop (a slice, so that a dead stream is noticed). */
const WAKE_SLICE_MS = 30_000;

/** Pause after a store failure before the wake-up loop tries again. */
const RETRY_MS = 1_000;

/** The agent a session acts as. */
export interface Binding {
  agent: string;
  /** The role to register; undefined keeps the role already registered, if any. */
  role?: string;
  /** Push wake-ups as Claude Code channel events (`--channels`). */
  channels?: boolean;
  /** With channels: also push group traffic (broadcasts, others' messages) as events. */
  group: boolean;
}

/** A `notifications/claude/channel` notification. */
export interface ChannelEvent {
  method: typeof CHANNEL_METHOD;
  params: { content: string; meta: Record<string, string> };
}

/**
 * What carries events to the client. On stdio it is always there; over
 * Streamable HTTP it is the session's GET stream, which comes and goes.
 */
export interface Carrier {
  /** A signal that aborts when the present carrier goes away, or null when there is none. */
  current(): AbortSignal | null;
  /** Resolves once there is a carrier, or when `signal` aborts. */
  arrival(signal: AbortSignal): Promise<void>;
}

const NEVER = new AbortController().signal;

/** The carrier of a transport that can always send (stdio, legacy SSE). */
export const ALWAYS: Carrier = {
  current: () => NEVER,
  arrival: () => Promise.resolve(),
};

/**
 * The wake-up for messages that just arrived for `agent`: who wrote and how
 * many, never the text. Meta keys hold only letters, digits and "_" (Claude
 * Code drops others).
 */
export function wakeEvent(agent: string, arrived: Message[]): ChannelEvent {
  const senders = [...new Set(arrived.map((m) => m.from))];
  const n = arrived.length;
  const requests = arrived.filter((m) => m.reply_to).length;
  const content =
    `${n} new message${n === 1 ? "" : "s"} for ${agent} from ${senders.join(", ")}${
      requests ? ` (${requests} request${requests === 1 ? "" : "s"} waiting for an answer)` : ""
    }. agent-mesh's hook shows ${n === 1 ? "it" : "them"} to you at the start of this turn; ` +
    `if ${n === 1 ? "it does" : "they do"} not appear, call mcp__agent-mesh__mesh_listen.`;
  return {
    method: CHANNEL_METHOD,
    params: { content, meta: { from: senders[0] ?? "", count: String(n), kind: "wake" } },
  };
}

/** The event for overheard group traffic (`--group`): the text, with `from`, `to`, `id`, `ts`. */
export function groupEvent(m: Message): ChannelEvent {
  const meta: Record<string, string> = { from: m.from, id: m.id, ts: m.ts, to: m.to ?? "*" };
  return { method: CHANNEL_METHOD, params: { content: m.text, meta } };
}

/** What the session of a bound agent needs. */
export interface ChannelOptions extends Binding {
  mesh: Mesh;
  /** Aborts when the session closes. */
  signal: AbortSignal;
  carrier: Carrier;
  /** Writes one event to the client: true once written, false when it could not be. */
  push(event: ChannelEvent): Promise<boolean>;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Pushes wake-ups (and with `group`, group traffic) until `o.signal` aborts.
 * Reads without taking, from the moment it starts: what waited before is the
 * SessionStart hook's to show.
 */
export async function runWakeups(o: ChannelOptions): Promise<void> {
  const { mesh, agent, signal } = o;
  const inbox = mesh.keys.inbox(agent);
  const cursors: Record<string, string> = { [inbox]: "0" };
  if (o.group) cursors[mesh.keys.group] = "0";
  // From the streams' ends as they are now.
  for (const [stream, pos] of Object.entries(await ends(mesh, Object.keys(cursors)))) {
    cursors[stream] = pos;
  }
  while (!signal.aborted) {
    const stream = o.carrier.current();
    if (!stream) {
      await o.carrier.arrival(signal);
      continue;
    }
    try {
      const batches = await mesh.store.read(cursors, {
        blockMs: WAKE_SLICE_MS,
        signal: AbortSignal.any([signal, stream]),
      });
      for (const batch of batches) {
        cursors[batch.stream] = batch.entries[batch.entries.length - 1].id;
        const messages = batch.entries.flatMap((e) => {
          const p = parseEntry(e);
          return p?.kind === "message" ? [p.message] : [];
        });
        if (batch.stream === inbox) {
          if (messages.length > 0) await o.push(wakeEvent(agent, messages));
        } else {
          for (const m of messages) {
            if (m.from !== agent && m.to !== agent) await o.push(groupEvent(m));
          }
        }
      }
    } catch (err) {
      logError(`watching the inbox of ${agent}`, err);
      await pause(RETRY_MS, signal);
    }
  }
}

/** The newest entry id of each stream ("0" when empty). */
async function ends(mesh: Mesh, streams: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of streams) out[s] = (await mesh.store.revRange(s, 1))[0]?.id ?? "0";
  return out;
}

/**
 * Keeps a used session's agent registered (with its role), chasing its overdue
 * replies, until `signal` aborts; then deregisters it.
 */
export async function runPresence(
  o: { mesh: Mesh; agent: string; role?: string; signal: AbortSignal },
): Promise<void> {
  const { mesh, agent, signal } = o;
  while (!signal.aborted) {
    try {
      if (o.role === undefined) await renew(mesh, agent, true);
      else await register(mesh, agent, o.role);
      await chaseOverdue(mesh, agent);
    } catch (err) {
      logError(`renewing the registration of ${agent}`, err);
    }
    await pause(CHASE_EVERY_MS, signal);
  }
  await deregister(mesh, agent).catch((err) => logError(`deregistering ${agent}`, err));
}
