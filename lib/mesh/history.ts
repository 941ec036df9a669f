/** An agent's message history: its inbox or the group stream, read without taking. */
import { checkName } from "../names.ts";
import type { Mesh } from "./mesh.ts";
import { type Message, parseEntry } from "./message.ts";

/** The newest `limit` messages of `name`'s inbox or of the group stream, oldest first, not consumed. */
export async function history(
  mesh: Mesh,
  name: string,
  scope: "inbox" | "group",
  limit: number,
): Promise<Message[]> {
  checkName(name);
  const stream = scope === "inbox" ? mesh.keys.inbox(name) : mesh.keys.group;
  const entries = await mesh.store.revRange(stream, limit);
  return entries
    .map(parseEntry)
    .flatMap((p) => (p?.kind === "message" ? [p.message] : []))
    .reverse();
}
