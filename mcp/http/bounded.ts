/**
 * A response body that holds at most a bounded amount for a client that reads
 * nothing. Deno's server takes a chunk only when the connection can send it, so
 * what a stalled client does not read piles up here: past `maxQueuedBytes` the
 * stream is dropped (the client may reconnect) and nothing more is held for it.
 *
 * It also tells when what was written has been handed to the connection
 * (`drained`, `ended`), so that a message is acknowledged only then, and a
 * message still queued when the stream is dropped is not counted as delivered.
 */

/**
 * What ended a body: read to its end, cancelled by the consumer, dropped by the
 * server, or dropped because its client read nothing while past the bound.
 */
export type BodyEnd = "done" | "cancelled" | "dropped" | "overflow";

/** Bytes queued across the bodies of one server (for /health). */
export class QueueMeter {
  bytes = 0;
}

/** Options of a BoundedBody. */
export interface BoundedOptions {
  /** Past this many queued bytes (and more than one chunk), the stream is dropped. */
  maxQueuedBytes: number;
  /** Called once when the body ends, and how. */
  onEnd?: (how: BodyEnd) => void;
  meter?: QueueMeter;
}

/** What a dropped body's consumer reads: the server logs the drop itself, once. */
export class StreamDropped extends Error {
  constructor() {
    super("Stream dropped: the client read nothing for too long");
  }
}

/** Resolves after every microtask queued so far has run. */
function macrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A pull-driven response body with a bounded queue. */
export class BoundedBody {
  readonly readable: ReadableStream<Uint8Array>;
  readonly #o: BoundedOptions;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #closing = false;
  #end: BodyEnd | null = null;
  /** Set while the consumer waits for a chunk that is not there yet. */
  #deliver: (() => void) | null = null;
  /** Woken on every delivery and at the end. */
  #changed = Promise.withResolvers<void>();
  #source: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #controller!: ReadableStreamDefaultController<Uint8Array>;

  constructor(o: BoundedOptions) {
    this.#o = o;
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => void (this.#controller = controller),
      pull: (controller) => {
        // Called only while the consumer waits for a read: a chunk handed here is taken.
        if (this.#take(controller)) return;
        return new Promise<void>((resolve) => {
          this.#deliver = () => {
            this.#deliver = null;
            this.#take(controller);
            resolve();
          };
        });
      },
      cancel: () => this.#finish("cancelled"),
    }, { highWaterMark: 0 });
  }

  /** Bytes waiting for the consumer. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** How the body ended, or null while it is open. */
  get ended(): BodyEnd | null {
    return this.#end;
  }

  /** Queues `chunk`; false when the body is over (or is dropped by this chunk). */
  push(chunk: Uint8Array): boolean {
    if (this.#end || this.#closing) return false;
    this.#queue.push(chunk);
    this.#add(chunk.length);
    if (this.#queued > this.#o.maxQueuedBytes && this.#queue.length > 1) {
      this.#finish("overflow");
      return false;
    }
    this.#deliver?.();
    return true;
  }

  /** Ends the body once the consumer has taken what is queued. */
  close(): void {
    if (this.#end || this.#closing) return;
    this.#closing = true;
    this.#deliver?.();
  }

  /** Ends the body now, discarding what is queued. */
  drop(): void {
    this.#finish("dropped");
  }

  /** Feeds the body from `source` as fast as it produces (it is bounded here instead). */
  pipeFrom(source: ReadableStream<Uint8Array>): void {
    const reader = this.#source = source.getReader();
    (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return this.close();
          if (!this.push(value)) return;
        }
      } catch {
        this.drop();
      }
    })();
  }

  /**
   * Resolves true once everything written to the body so far was handed to the
   * consumer, false when the body ended first without it.
   */
  async drained(): Promise<boolean> {
    // A source writes synchronously; its chunks reach this queue in microtasks.
    await macrotask();
    for (;;) {
      if (this.#queue.length === 0) return this.#end === null || this.#end === "done";
      if (this.#end) return false;
      await this.#changed.promise;
    }
  }

  /** Resolves true once the consumer read the body to its end, false when it ended otherwise. */
  async finished(): Promise<boolean> {
    while (!this.#end) await this.#changed.promise;
    return this.#end === "done";
  }

  /** Hands the next chunk (or the end) to the consumer; false when there is nothing yet. */
  #take(controller: ReadableStreamDefaultController<Uint8Array>): boolean {
    if (this.#end) return true;
    const chunk = this.#queue.shift();
    if (chunk) {
      this.#add(-chunk.length);
      controller.enqueue(chunk);
      this.#wake();
      return true;
    }
    if (this.#closing) {
      controller.close();
      this.#finish("done");
      return true;
    }
    return false;
  }

  #add(n: number): void {
    this.#queued += n;
    if (this.#o.meter) this.#o.meter.bytes += n;
  }

  #wake(): void {
    const changed = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    changed.resolve();
  }

  #finish(how: BodyEnd): void {
    if (this.#end) return;
    this.#end = how;
    if (how !== "done") this.#source?.cancel().catch(() => {});
    this.#add(-this.#queued);
    this.#queue.length = 0;
    if (how === "dropped" || how === "overflow") {
      // The consumer's read fails: Deno then ends the response, and the client sees its stream end.
      try {
        this.#controller.error(new StreamDropped());
      } catch { /* already closed */ }
      this.#deliver?.();
    }
    this.#wake();
    this.#o.onEnd?.(how);
  }
}
