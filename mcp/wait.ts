/**
 * Long tool calls (listen, request, ping): the wait is clamped, ends when the
 * client cancels or the session closes, and reports progress when asked to.
 */
import type { WaitOptions } from "../lib/mesh/mesh.ts";
import type { SessionContext } from "./context.ts";
import type { RequestHandlerExtra, ServerNotification, ServerRequest } from "./sdk.ts";

/** The `extra` argument of a tool handler. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Seconds between two progress notifications of a waiting call. */
export const PROGRESS_EVERY_MS = 5000;

/** An abort signal for one call: the client's cancellation or the session's end. */
export function callSignal(session: SessionContext, extra: ToolExtra): AbortSignal {
  return AbortSignal.any([extra.signal, session.signal]);
}

/**
 * Runs `fn` with a wait of `timeoutS` (at most `maxS`) and the call's signal. When
 * the client sent a progress token, reports progress at once and then every few
 * seconds: elapsed seconds out of the wait.
 */
export async function waiting<T>(
  session: SessionContext,
  extra: ToolExtra,
  o: { timeoutS: number; maxS: number; what: string },
  fn: (w: WaitOptions & { signal: AbortSignal }) => Promise<T>,
): Promise<T> {
  const total = Math.min(o.timeoutS, o.maxS);
  const signal = callSignal(session, extra);
  const token = extra._meta?.progressToken;
  let timer: ReturnType<typeof setInterval> | undefined;
  if (token !== undefined) {
    const started = Date.now();
    const report = () => {
      const progress = Math.min(total, Math.round((Date.now() - started) / 1000));
      extra.sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress, total, message: o.what },
      }).catch(() => {}); // a client gone away is noticed by the wait itself
    };
    report();
    timer = setInterval(report, PROGRESS_EVERY_MS);
  }
  try {
    return await fn({ timeoutMs: total * 1000, signal });
  } finally {
    clearInterval(timer);
  }
}
