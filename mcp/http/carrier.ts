/**
 * The carrier of a Streamable HTTP session: its GET stream, the only place where
 * the server can send a notification that belongs to no request. While no
 * stream is open the session's channel takes no message, so none is taken and
 * acknowledged with nowhere to go.
 */
import type { Carrier } from "../channel.ts";

/** Tracks whether a session's GET stream is open. */
export class StreamCarrier implements Carrier {
  #stream: AbortController | null = null;
  readonly #waiting = new Set<() => void>();

  /** Notes that a GET stream opened; call the returned function when it ends. */
  opened(): () => void {
    const stream = new AbortController();
    this.#stream?.abort(); // the transport allows one at a time; the newest wins
    this.#stream = stream;
    for (const wake of [...this.#waiting]) wake();
    return () => {
      stream.abort();
      if (this.#stream === stream) this.#stream = null;
    };
  }

  current(): AbortSignal | null {
    return this.#stream?.signal ?? null;
  }

  arrival(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stream || signal.aborted) return resolve();
      const done = () => {
        this.#waiting.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#waiting.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
