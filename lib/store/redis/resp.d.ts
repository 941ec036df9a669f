/**
 * Types of `resp.js`, the RESP encoder and decoder of npm:@redis/client (only what
 * the client uses).
 */
import type { Buffer } from "node:buffer";

/** What the decoder calls with each complete reply. */
export interface DecoderConfig {
  onReply(reply: unknown): void;
  /** A top-level error reply; nested ones (in EXEC replies) come as Error values. */
  onErrorReply(err: Error): void;
  onPush(push: unknown[]): void;
  /** Maps RESP type codes to String/Buffer/Number/Map/...; `{}` gives strings and numbers. */
  getTypeMapping(): Record<number, unknown>;
}

/** Streaming RESP2/RESP3 decoder: feed it chunks as they arrive. */
export class Decoder {
  constructor(config: DecoderConfig);
  write(chunk: Buffer): void;
  reset(): void;
}

/** One command as RESP: strings to write (Buffers for binary arguments). */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Array<string | Buffer>;
