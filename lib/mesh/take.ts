/**
 * Taking what waits in an inbox without waiting for more: the Claude Code hooks
 * hand every waiting DIRECT message to the model at once, as far as the context
 * allows. Taken one at a time, so that a message is taken only when there is
 * room to show it; pings met on the way are answered.
 */
import { checkName } from "../names.ts";
import { type Delivery, ensureGroups, handleInbox, takenViews } from "./listen.ts";
import type { Reader } from "./states.ts";
import type { Mesh } from "./mesh.ts";
import { parseEntry } from "./message.ts";

/** Most messages one call takes. */
export const MAX_TAKE = 50;

/** What `takeWaiting` took. */
export interface Taken {
  deliveries: Delivery[];
  /** The stream id of the last inbox entry taken (messages and pings), if any. */
  lastId?: string;
}

/**
 * Takes `name`'s waiting DIRECT messages, oldest first, while `room(taken)` says
 * there is room to show one more besides those taken so far (asked before each
 * take; `peekNext` tells what comes next). Never blocks. The deliveries must be acknowledged once shown.
 */
export async function takeWaiting(
  mesh: Mesh,
  name: string,
  room: (taken: Taken) => boolean | Promise<boolean>,
  reader?: Reader,
  max = MAX_TAKE,
): Promise<Taken> {
  checkName(name);
  await ensureGroups(mesh, name, false);
  const group = mesh.keys.consumerGroup(name);
  const inbox = mesh.keys.inbox(name);
  const taken: Taken = { deliveries: [] };
  // Bounded: each round takes an entry, and pings are few.
  for (
    let round = 0;
    round < max * 4 && taken.deliveries.length < max && await room(taken);
    round++
  ) {
    const batches = await mesh.store.consume(group, [inbox], {
      count: 1,
      leaseMs: mesh.config.leaseMs,
      views: (taken) => takenViews(mesh, name, inbox, taken, reader),
    });
    const entry = batches[0]?.entries[0];
    if (!entry) break;
    taken.lastId = entry.id;
    const delivery = await handleInbox(mesh, name, group, inbox, entry, reader);
    if (delivery) taken.deliveries.push(delivery); // else a ping, answered
  }
  return taken;
}

/**
 * How many DIRECT messages wait in `name`'s inbox after the entry `afterId`
 * (or in the whole inbox), counted up to `limit`, without taking any.
 */
export async function countAfter(
  mesh: Mesh,
  name: string,
  afterId: string | undefined,
  limit = 1000,
): Promise<number> {
  const entries = await mesh.store.range(
    mesh.keys.inbox(name),
    afterId ? `(${afterId}` : "-",
    "+",
    limit,
  );
  return entries.filter((e) => parseEntry(e)?.kind === "message").length;
}

/** The next entry of `name`'s inbox after `afterId`, without taking it (null: none). */
export async function peekNext(mesh: Mesh, name: string, afterId: string) {
  const [entry] = await mesh.store.range(mesh.keys.inbox(name), `(${afterId}`, "+", 1);
  const parsed = entry ? parseEntry(entry) : null;
  return parsed?.kind === "message" ? parsed.message : null;
}
