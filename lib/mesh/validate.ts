/**
 * Input checks shared by the CLI (before anything is opened) and the mesh itself.
 */
import { UsageError } from "../errors.ts";
import type { Keys } from "./keys.ts";

/** Returns `text` when it is a string within `maxBytes` of UTF-8, else throws a UsageError. */
export function checkText(text: unknown, maxBytes: number, what = "message"): string {
  if (typeof text !== "string") throw new UsageError(`Missing ${what}`);
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > maxBytes) {
    throw new UsageError(
      `The ${what} is ${bytes} bytes, over the limit of ${maxBytes} (AGENT_MESH_MAX_BYTES)`,
    );
  }
  return text;
}

/** Returns `key` when it is a reply rendezvous key of this mesh, else throws a UsageError. */
export function checkReplyKey(keys: Keys, key: unknown): string {
  if (typeof key !== "string" || !keys.isReplyKey(key)) {
    throw new UsageError(
      `Invalid reply key ${
        JSON.stringify(key)
      }: expected ${keys.prefix}:reply:<32 hex characters>, as shown with the request`,
    );
  }
  return key;
}
