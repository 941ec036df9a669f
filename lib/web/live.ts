/**
 * The dashboard's live feed: server-sent events fed by blocking reads of the
 * events stream, one reader per open page. The page reads it with fetch (so the
 * token travels in a header, never in a URL).
 */
import type { Mesh } from "../mesh/mesh.ts";
import { eventsCursor, nextEvents } from "../mesh/states.ts";

/** How long one blocking read waits before a keep-alive (which also refreshes presence). */
const HEARTBEAT_MS = 15_000;

/**
 * A `text/event-stream` response of every event from now on, until `closing`
 * aborts (the server stops) or the client goes away.
 */
export function liveStream(mesh: Mesh, closing: AbortSignal): Response {
  const enc = new TextEncoder();
  const gone = new AbortController();
  const signal = AbortSignal.any([closing, gone.signal]);
  let cursor: string | null = null;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      cursor = await eventsCursor(mesh);
      controller.enqueue(enc.encode(`event: ready\ndata: {}\n\n`));
    },
    async pull(controller) {
      if (signal.aborted) {
        controller.close();
        return;
      }
      try {
        const next = await nextEvents(mesh, cursor!, { blockMs: HEARTBEAT_MS, signal });
        cursor = next.cursor;
        if (signal.aborted) return controller.close();
        if (next.events.length === 0) {
          controller.enqueue(enc.encode(`event: tick\ndata: {}\n\n`));
        }
        for (const e of next.events) {
          controller.enqueue(enc.encode(`event: mesh\ndata: ${JSON.stringify(e)}\n\n`));
        }
      } catch (err) {
        controller.error(err);
      }
    },
    cancel() {
      gone.abort(); // the page closed: end its blocking read now
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}
