/** What every conformance case is made of, and the assertions they share. */
import { append } from "../harness/store_ops.ts";
import assert from "node:assert/strict";
import type { StreamBatch, StreamEntry } from "../../lib/store/port.ts";
import type { OpenedStore } from "../harness/store_engines.ts";

/** One case of the suite; it runs once per engine on a fresh store. */
export interface ConformanceCase {
  /** Reads like `consume() never gives one entry to two consumers`. */
  name: string;
  fn(h: OpenedStore, t: Deno.TestContext): Promise<void>;
}

/** Orders two Redis-shaped ids (`<ms>-<seq>`). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt);
  const [bm, bs] = b.split("-").map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/** Asserts that `ids` are Redis-shaped and strictly increasing. */
export function assertIncreasing(ids: string[]): void {
  for (const id of ids) assert.match(id, /^\d+-\d+$/, `id ${JSON.stringify(id)} is not <ms>-<seq>`);
  for (let i = 1; i < ids.length; i++) {
    assert.ok(compareIds(ids[i - 1], ids[i]) < 0, `id ${ids[i]} does not follow ${ids[i - 1]}`);
  }
}

/** The ids of `entries`, in their order. */
export function idsOf(entries: StreamEntry[]): string[] {
  return entries.map((e) => e.id);
}

/** Entries as plain objects, so that deep equality ignores how an engine built them. */
export function plain(entries: StreamEntry[]): StreamEntry[] {
  return entries.map((e) => ({ id: e.id, fields: { ...e.fields } }));
}

/** Batches as plain objects ordered by stream name (the port does not order them). */
export function plainBatches(batches: StreamBatch[]): StreamBatch[] {
  return batches
    .map((b) => ({ stream: b.stream, entries: plain(b.entries) }))
    .sort((a, b) => a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0);
}

/** Appends `n` entries `{ i }` to `stream` one by one; returns their ids. */
export async function appendN(
  h: OpenedStore,
  stream: string,
  n: number,
  maxLen?: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await append(h.store, stream, { i: String(i) }, maxLen));
  return ids;
}
