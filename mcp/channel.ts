/**
 * The channel of a session bound to an agent (`serve --as NAME`, `/mcp?as=NAME`):
 * keeps the agent registered while the session lives, pushes every DIRECT
 * message to it as a Claude Code channel event, and deregisters it at the end.
 *
 * Messages are taken with `nextDirect`, like `listen`: one taker per name, and a
 * message is acknowledged only once its event was written to the client, so a
 * session that dies in between gets it again (after the lease) instead of losing it.
 */
import { appendNotify, chaseOverdue, nextDirect } from "../lib/mesh/listen.ts";
import type { Mesh } from "../lib/mesh/mesh.ts";
import type { Message } from "../lib/mesh/message.ts";
import { deregister, register, renew } from "../lib/mesh/presence.ts";
import { logError } from "./context.ts";

/** The JSON-RPC method of a Claude Code channel event. */
export const CHANNEL_METHOD = "notifications/claude/channel";

/** How often a bound session renews its registration (TTL 180 s) and chases overdue replies. */
export const HOUSEKEEPING_MS = 30_000;

/** Pause after a store failure before the push loop tries again. */
const RETRY_MS = 1_000;

/** The agent a session acts as. */
export interface Binding {
  agent: string;
  /** The role to register; undefined keeps the role already registered, if any. */
  role?: string;
  /** Also push group traffic (broadcasts and echoes of messages between others). */
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
 * The event for `m`: the text as content; meta `from`, `id`, `ts`, and
 * `reply_to` for a request, `to` for group traffic. Meta keys may hold only
 * letters, digits and "_" (Claude Code drops others).
 */
export function channelEvent(m: Message): ChannelEvent {
  const meta: Record<string, string> = { from: m.from, id: m.id, ts: m.ts };
  if (m.reply_to !== undefined) meta.reply_to = m.reply_to;
  if (m.to !== undefined) meta.to = m.to;
  return { method: CHANNEL_METHOD, params: { content: m.text, meta } };
}

/** What the push loop of one session needs. */
export interface ChannelOptions extends Binding {
  mesh: Mesh;
  /** Aborts when the session closes. */
  signal: AbortSignal;
  carrier: Carrier;
  /** Writes one event to the client: true once written, false when it could not be. */
  push(event: ChannelEvent): Promise<boolean>;
}

/** Thrown by the group hook so that an undelivered group message is not acknowledged. */
class Undelivered extends Error {}

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

/** Runs the channel of one session until `o.signal` aborts, then deregisters the agent. */
export async function runChannel(o: ChannelOptions): Promise<void> {
  const { mesh, agent, signal } = o;
  let kept = 0;
  const keep = async () => {
    try {
      if (o.role === undefined) await renew(mesh, agent, true);
      else await register(mesh, agent, o.role);
      await chaseOverdue(mesh, agent);
    } catch (err) {
      logError(`renewing the registration of ${agent}`, err);
    }
    kept = Date.now();
  };
  // Delivered only when written while the carrier stayed: a stream that ended
  // meanwhile may not have passed the event on, and a repeat beats a loss.
  const carry = async (m: Message, stream: AbortSignal) =>
    !stream.aborted && await o.push(channelEvent(m)) && !stream.aborted;

  await keep();
  while (!signal.aborted) {
    const left = kept + HOUSEKEEPING_MS - Date.now();
    if (left <= 0) {
      await keep();
      continue;
    }
    const stream = o.carrier.current();
    if (!stream) {
      // Nothing could carry an event: take nothing until a stream opens.
      await o.carrier.arrival(AbortSignal.any([signal, AbortSignal.timeout(left)]));
      continue;
    }
    try {
      const delivery = await nextDirect(mesh, agent, {
        timeoutMs: left,
        signal: AbortSignal.any([signal, stream]),
        withGroup: o.group,
        onGroup: async (m) => {
          if (!(await carry(m, stream))) throw new Undelivered();
        },
      });
      if (delivery && await carry(delivery.message, stream)) {
        await appendNotify(mesh, agent, delivery.message)
          .catch((err) => logError(`writing the notify log of ${agent}`, err));
        await delivery.ack();
      }
      // Not carried: left unacknowledged, the message is given out again after the lease.
    } catch (err) {
      if (err instanceof Undelivered) continue;
      logError(`pushing messages to ${agent}`, err);
      await pause(RETRY_MS, signal);
    }
  }
  await deregister(mesh, agent).catch((err) => logError(`deregistering ${agent}`, err));
}
