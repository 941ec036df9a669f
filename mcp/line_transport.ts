/**
 * The stdio transport of `agent-mesh serve`: one JSON-RPC message per line.
 *
 * It replaces the SDK's StdioServerTransport, which ends the whole server
 * without a word when a line passes 10 MiB and answers nothing to a line that is
 * not JSON. Here a bad line gets a JSON-RPC error (id null, as JSON-RPC asks when
 * the id cannot be read) and a line on stderr, and the session goes on: a line
 * too long is skipped up to its newline, never held in memory whole.
 */
import { type JSONRPCMessage, JSONRPCMessageSchema, type Transport } from "./sdk.ts";

/** The default longest line: the SDK's limit. */
export const DEFAULT_MAX_LINE_BYTES = 10 * 1024 * 1024;

const NEWLINE = 0x0a;

/** JSON-RPC codes of the errors this transport answers by itself. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

/** Options of a LineTransport. */
export interface LineTransportOptions {
  /** Longest line accepted, in bytes (without its newline). */
  maxLineBytes?: number;
  /** Where a refused line is reported (stderr in `serve`). */
  log?: (line: string) => void;
}

/** A Transport over a byte stream in and a byte stream out, one message per line. */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #input: ReadableStream<Uint8Array>;
  readonly #output: WritableStreamDefaultWriter<Uint8Array>;
  readonly #maxLineBytes: number;
  readonly #log: (line: string) => void;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** Writes go one after the other, so two messages never interleave. */
  #writing: Promise<void> = Promise.resolve();
  #closed = false;
  #lineNumber = 0;

  constructor(
    input: ReadableStream<Uint8Array>,
    output: WritableStream<Uint8Array>,
    o: LineTransportOptions = {},
  ) {
    this.#input = input;
    this.#output = output.getWriter();
    this.#maxLineBytes = o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#log = o.log ?? ((line) => console.error(line));
  }

  start(): Promise<void> {
    if (this.#reader) throw new Error("LineTransport already started");
    this.#reader = this.#input.getReader();
    // Reading starts after connect() has set onmessage: the loop runs on its own.
    void this.#read(this.#reader);
    return Promise.resolve();
  }

  async #read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    let parts: Uint8Array[] = [];
    let size = 0;
    let skipping = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.#closed) break;
        let start = 0;
        for (;;) {
          const end = value.indexOf(NEWLINE, start);
          const piece = value.subarray(start, end === -1 ? value.length : end);
          if (!skipping) {
            if (size + piece.length > this.#maxLineBytes) {
              // Answer now, then drop the rest of this line as it comes.
              skipping = true;
              parts = [];
              size = 0;
              this.#refuse(
                INVALID_REQUEST,
                `Request too large: line ${
                  this.#lineNumber + 1
                } is over ${this.#maxLineBytes} bytes and was skipped`,
              );
            } else if (piece.length) {
              parts.push(piece.slice());
              size += piece.length;
            }
          }
          if (end === -1) break;
          this.#lineNumber++;
          if (!skipping) this.#line(parts, size);
          parts = [];
          size = 0;
          skipping = false;
          start = end + 1;
        }
      }
    } catch (err) {
      if (!this.#closed) this.onerror?.(err as Error);
    }
    await this.close();
  }

  /** Handles one complete line. */
  #line(parts: Uint8Array[], size: number): void {
    const bytes = parts.length === 1 ? parts[0] : concat(parts, size);
    const text = this.#decoder.decode(bytes).replace(/\r$/, "");
    if (text.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#refuse(PARSE_ERROR, `Parse error: line ${this.#lineNumber} is not valid JSON`);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      const id = (value as { id?: unknown })?.id;
      this.#refuse(
        INVALID_REQUEST,
        Array.isArray(value)
          ? `Invalid Request: line ${this.#lineNumber} is a batch; send one message per line`
          : `Invalid Request: line ${this.#lineNumber} is not a JSON-RPC 2.0 message`,
        typeof id === "string" || typeof id === "number" ? id : null,
      );
      return;
    }
    try {
      this.onmessage?.(parsed.data);
    } catch (err) {
      this.onerror?.(err as Error);
    }
  }

  /** Answers a line that could not be handled, and says so on stderr. */
  #refuse(code: number, message: string, id: string | number | null = null): void {
    this.#log(`agent-mesh serve: ${message}`);
    // deno-lint-ignore no-explicit-any -- an id of null is valid JSON-RPC but not in the SDK's type
    this.send({ jsonrpc: "2.0", id, error: { code, message } } as any).catch(() => {});
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("The stdio transport is closed"));
    const bytes = this.#encoder.encode(JSON.stringify(message) + "\n");
    const write = this.#writing.then(() => this.#output.write(bytes));
    // A failed write (the client went away) fails this send and closes the session.
    this.#writing = write.catch((err) => {
      if (!this.#closed) this.onerror?.(err as Error);
      void this.close();
    });
    return write;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    // Not awaited: a read blocked on a pipe ends with the process.
    this.#reader?.cancel().catch(() => {});
    this.onclose?.();
    return Promise.resolve();
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
