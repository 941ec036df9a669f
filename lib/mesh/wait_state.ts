/** `send --wait STATE`: a send followed by a wait for its state, read from the events stream. */
import { UsageError } from "../errors.ts";
import type { Mesh, SendResult } from "./mesh.ts";
import { eventsCursor, type MessageStatus, type State, waitForState } from "./states.ts";

/** The states `send --wait` can wait for. */
export const WAITABLE = ["taken", "delivered", "seen"] as const;

/** The checked `--wait` state, or undefined; `--timeout` alone is a usage error. */
export function waitTarget(
  wait: string | undefined,
  timeout: string | undefined,
): State | undefined {
  if (wait === undefined) {
    if (timeout !== undefined) throw new UsageError("--timeout goes with --wait STATE");
    return undefined;
  }
  if (!(WAITABLE as readonly string[]).includes(wait)) {
    throw new UsageError(`Invalid --wait "${wait}": expected ${WAITABLE.join(", ")}`);
  }
  return wait as State;
}

/**
 * Sends, then (with `wait`) waits until the message reaches `wait.state`. The
 * events cursor is taken before the send, so a fast reader is never missed.
 */
export async function sendAndWait(
  mesh: Mesh,
  send: Parameters<Mesh["send"]>[0],
  wait?: { state: State; timeoutMs: number; signal?: AbortSignal },
): Promise<{ result: SendResult; reached: MessageStatus | null }> {
  if (!wait) return { result: await mesh.send(send), reached: null };
  const cursor = await eventsCursor(mesh);
  const result = await mesh.send(send);
  const reached = await waitForState(mesh, result.id, wait.state, { ...wait, cursor });
  return { result, reached };
}
