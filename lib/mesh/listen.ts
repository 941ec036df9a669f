/**
 * Taking messages out of an agent's inbox: exactly one listener of a name gets
 * each DIRECT message, and it is acknowledged only after it was shown or handed
 * over, so a crash in between repeats it instead of losing it. (What a listener
 * does besides: chase.ts; its side log: notify_log.ts.)
 */
import { faultPoint } from "../fault.ts";
import { checkName } from "../names.ts";
import type { StreamBatch, StreamEntry, Writes } from "../store/port.ts";
import { type Message, parseEntry } from "./message.ts";
import { type Mesh, RENDEZVOUS_TTL_S, type WaitOptions } from "./mesh.ts";
import { joinViews, type Reader, stateViews } from "./states.ts";

/** A DIRECT message taken from an inbox, not yet acknowledged. */
export interface Delivery {
  message: Message;
  /** Marks it handled: it will never be given out again. Call after showing it. */
  ack(): Promise<void>;
}

/** Options of `nextDirect`. */
export interface ListenOptions extends WaitOptions {
  /** Also take group traffic (the CLI's listen and monitor do; `mesh_listen` does not). */
  withGroup?: boolean;
  /** Called for each group message from another agent, before it is acknowledged. */
  onGroup?: (message: Message) => void | Promise<void>;
  /** Who takes the messages (recorded in their states): `listen`, `monitor`, `hook`, … */
  reader?: Reader;
}

const readyGroups = new WeakMap<Mesh, Set<string>>();

/** Creates `name`'s consumer groups when this process has not yet. */
export async function ensureGroups(mesh: Mesh, name: string, withGroup: boolean): Promise<void> {
  let ready = readyGroups.get(mesh);
  if (!ready) readyGroups.set(mesh, ready = new Set());
  const group = mesh.keys.consumerGroup(name);
  const inbox = mesh.keys.inbox(name);
  if (!ready.has(inbox + "\n" + group)) {
    // A first listen gets what was sent before anyone listened.
    await mesh.store.ensureGroup(inbox, group, "0");
    ready.add(inbox + "\n" + group);
  }
  if (withGroup && !ready.has(mesh.keys.group + "\n" + group)) {
    // Group history from before the first listen is not replayed (as the original).
    await mesh.store.ensureGroup(mesh.keys.group, group, "$");
    ready.add(mesh.keys.group + "\n" + group);
  }
}

/**
 * Waits up to `timeoutMs` for the next DIRECT message to `name`. Pings on the way
 * are answered; group messages go to `onGroup` (echoes of own messages and of
 * messages to `name` skipped). Returns null
 * on timeout or abort.
 */
export async function nextDirect(
  mesh: Mesh,
  name: string,
  opts: ListenOptions,
): Promise<Delivery | null> {
  checkName(name);
  const withGroup = opts.withGroup ?? false;
  await ensureGroups(mesh, name, withGroup);
  const group = mesh.keys.consumerGroup(name);
  const inbox = mesh.keys.inbox(name);
  const streams = withGroup ? [inbox, mesh.keys.group] : [inbox];
  const deadline = Date.now() + opts.timeoutMs;
  const leaseMs = mesh.config.leaseMs;
  // Expired leases are looked for once per half lease: a woken listener then takes
  // what woke it without one more look per stream (round trips, on Redis).
  const sweptAt = new Map<string, number>();
  const sweep = (...of: string[]) => {
    const now = Date.now();
    const due = of.some((stream) => now - (sweptAt.get(stream) ?? -Infinity) >= leaseMs / 2);
    if (due) { for (const stream of of) sweptAt.set(stream, now); }
    return due;
  };
  for (let first = true;; first = false) {
    const left = deadline - Date.now();
    if ((!first && left <= 0) || opts.signal?.aborted) return null;
    if (withGroup) {
      // Group traffic that came before the next DIRECT message is shown first.
      const backlog = await mesh.store.consume(group, [mesh.keys.group], {
        count: 50,
        leaseMs,
        sweep: sweep(mesh.keys.group),
      });
      for (const entry of backlog[0]?.entries ?? []) {
        await handleGroup(mesh, name, group, entry, opts.onGroup);
      }
    }
    const batches = await mesh.store.consume(group, streams, {
      count: 1,
      blockMs: Math.max(left, 0),
      signal: opts.signal,
      leaseMs,
      sweep: sweep(...streams),
      views: (taken) => takenViews(mesh, name, inbox, taken, opts.reader),
    });
    let found: Delivery | null = null;
    for (const batch of batches) {
      for (const entry of batch.entries) {
        if (batch.stream === inbox) {
          found ??= await handleInbox(mesh, name, group, inbox, entry, opts.reader);
        } else {
          await handleGroup(mesh, name, group, entry, opts.onGroup);
        }
      }
    }
    if (found) return found;
    if (left <= 0) return null;
  }
}

/** The message as its states know it: to `name`, a request when it has a reply key. */
function stateOf(name: string, message: Message) {
  const kind = message.reply_to ? "request" as const : "direct" as const;
  return { ...message, to: name, kind };
}

/** The `taken` states of the messages among `taken` (entries of `inbox`), recorded with the take. */
export function takenViews(
  mesh: Mesh,
  name: string,
  inbox: string,
  taken: StreamBatch[],
  reader?: Reader,
): Writes {
  return joinViews(
    ...taken.filter((b) => b.stream === inbox).flatMap((b) => b.entries).flatMap((entry) => {
      const parsed = parseEntry(entry);
      return parsed?.kind === "message"
        ? [stateViews(mesh, stateOf(name, parsed.message), "taken", reader)]
        : [];
    }),
  );
}

/**
 * Handles one inbox entry taken for `name` (its `taken` state recorded with the
 * take: see `takenViews`): a message to show, or a ping answered at once.
 */
export async function handleInbox(
  mesh: Mesh,
  name: string,
  group: string,
  inbox: string,
  entry: StreamEntry,
  reader?: Reader,
): Promise<Delivery | null> {
  const parsed = parseEntry(entry);
  if (parsed?.kind === "message") {
    const m = stateOf(name, parsed.message);
    await faultPoint("after-take");
    return {
      message: parsed.message,
      ack: async () => {
        await mesh.store.ack(inbox, group, [entry.id], {
          views: stateViews(mesh, m, "delivered", reader),
          keepRead: mesh.config.history,
        });
        // A message from a peer is the reply the ledger was waiting for.
        const ledger = mesh.ledger(name);
        if (ledger.exists()) await ledger.removePeer(parsed.message.from);
      },
    };
  }
  if (parsed?.kind === "ping") {
    await mesh.store.appendMany([{
      stream: mesh.keys.pong(parsed.nonce),
      fields: { from: name, pong: "1" },
      ttlSec: RENDEZVOUS_TTL_S,
    }]);
  }
  // Pings and unreadable entries.
  await mesh.store.ack(inbox, group, [entry.id], { keepRead: mesh.config.history });
  return null;
}

async function handleGroup(
  mesh: Mesh,
  name: string,
  group: string,
  entry: StreamEntry,
  onGroup?: (m: Message) => void | Promise<void>,
): Promise<void> {
  const parsed = parseEntry(entry);
  // Own echoes are skipped, and so are echoes of messages to `name`: those come as DIRECT.
  const m = parsed?.kind === "message" ? parsed.message : null;
  if (m && m.from !== name && m.to !== name) await onGroup?.(m);
  await mesh.store.ack(mesh.keys.group, group, [entry.id]);
}
