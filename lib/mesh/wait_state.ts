/** `send --wait STATE`: a send followed by a wait for its state, read from the events stream. */
import type { Mesh, SendResult } from "./mesh.ts";
import { eventsCursor, type MessageStatus, type State, waitForState } from "./states.ts";

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
