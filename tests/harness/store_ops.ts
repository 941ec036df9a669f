/**
 * Shorthands of the store for tests: the port itself has no single-entry append
 * (the messaging code appends through `appendMany` and `send`).
 */
import type { Fields, Store } from "../../lib/store/port.ts";

/** Appends one entry to `stream` (approximate cap `maxLen`); returns its id. */
export async function append(
  store: Store,
  stream: string,
  fields: Fields,
  maxLen?: number,
): Promise<string> {
  const [id] = await store.appendMany([{ stream, fields, maxLen }]);
  return id;
}
