/**
 * Message states, readable by any process on both engines: `queued` (in the
 * inbox), `taken` (by which reader and session), `delivered` (acknowledged) and
 * `seen` (found in a Claude Code session's transcript).
 *
 * They live in keys of our own, so nothing the original tool reads or writes
 * changes: `P:am:state:<id>` (the message: from, to, kind, time, a preview),
 * `P:am:state:<id>:<state>` (one key per later state, written independently so
 * that a fast taker racing the sender's own write cannot be overwritten), and
 * `P:am:reader:<name>` (how NAME last received). Every send and state change is
 * also appended to the capped stream `P:am:events`, which `tail`, `send --wait`
 * and the dashboard read with blocking reads.
 */
import { checkName } from "../names.ts";
import type { Fields, StreamEntry, Writes } from "../store/port.ts";
import type { Mesh } from "./mesh.ts";
import { nowTs } from "./keys.ts";

/** The states of a message, in the order they happen. */
export const STATES = ["queued", "taken", "delivered", "seen"] as const;
/** One state. */
export type State = typeof STATES[number];
/** What kind of traffic an event is about. */
export type TrafficKind = "direct" | "group" | "request" | "reply" | "ping";

/** How long states are kept, in seconds (a week): the age limit of the retained history. */
export const STATE_TTL_S = 7 * 24 * 3600;
/** Default number of events kept (the streams' own default cap). */
export const DEFAULT_HISTORY = 2000;
/** Characters of a message's text kept in its state and events (a preview). */
export const PREVIEW_CHARS = 1000;

/** Who took a message. */
export interface Reader {
  /** `listen`, `monitor`, `mesh_listen`, `hook`, `channel`, … */
  kind: string;
  /** The Claude Code session (or other session id), when known. */
  session?: string;
}

/** One state change as stored. */
export interface StateMark {
  ts: string;
  reader?: string;
  session?: string;
}

/** What is known of one message. */
export interface MessageStatus {
  id: string;
  from: string;
  to: string;
  kind: TrafficKind;
  ts: string;
  text: string;
  /** The furthest state reached. */
  state: State;
  /** When each state was reached (queued always), with its reader and session. */
  marks: Partial<Record<State, StateMark>>;
}

/** One entry of the events stream. */
export interface MeshEvent {
  /** The stream entry id (orders events). */
  eid: string;
  /** `sent` for a new message, else the state reached. */
  event: "sent" | Exclude<State, "queued">;
  id: string;
  from: string;
  to: string;
  kind: TrafficKind;
  ts: string;
  text?: string;
  reader?: string;
  session?: string;
}

/** Number of events kept: `AGENT_MESH_HISTORY` (config or environment), else 2000. */
export function historyCount(mesh: Mesh): number {
  const fromConfig = (mesh.config as { history?: unknown }).history;
  if (typeof fromConfig === "number" && fromConfig > 0) return fromConfig;
  try {
    const raw = Deno.env.get("AGENT_MESH_HISTORY");
    if (raw && /^\d+$/.test(raw) && Number(raw) > 0) return Number(raw);
  } catch { /* no --allow-env */ }
  return DEFAULT_HISTORY;
}

/** Key names of the states of one mesh. */
export function stateKeys(prefix: string) {
  return {
    events: `${prefix}:am:events`,
    statePrefix: `${prefix}:am:state:`,
    message: (id: string) => `${prefix}:am:state:${id}`,
    mark: (id: string, state: State) => `${prefix}:am:state:${id}:${state}`,
    reader: (name: string) => `${prefix}:am:reader:${name}`,
  };
}

/** Ids of messages are UUIDs or 32-hex nonces: nothing else is looked up or stored. */
const ID_RE = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/;

/** True for a string shaped like a message id. */
export function isMessageId(id: string): boolean {
  return ID_RE.test(id);
}

function clean(fields: Record<string, string | undefined>): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * The writes that record a message just sent: its `queued` state (direct and
 * request only: group traffic has no inbox) and a `sent` event. The store does
 * them with the send, as views: they never fail it.
 */
export function sentViews(
  mesh: Mesh,
  m: { id: string; from: string; to: string; kind: TrafficKind; text: string; ts?: string },
): Writes {
  const k = stateKeys(mesh.config.prefix);
  const ts = m.ts ?? nowTs();
  const text = m.text.slice(0, PREVIEW_CHARS);
  const writes: Writes = {
    appends: [{
      stream: k.events,
      fields: clean({ event: "sent", id: m.id, from: m.from, to: m.to, kind: m.kind, ts, text }),
      maxLen: historyCount(mesh),
    }],
  };
  if (m.kind === "direct" || m.kind === "request") {
    const doc = { id: m.id, from: m.from, to: m.to, kind: m.kind, ts, text };
    writes.sets = [{ key: k.message(m.id), value: JSON.stringify(doc), ttlSec: STATE_TTL_S }];
  }
  return writes;
}

/**
 * The writes that record that message `id` to `to` reached `state` (taken,
 * delivered or seen), by `reader`; the store does them with the take or the
 * acknowledgement, as views.
 */
export function stateViews(
  mesh: Mesh,
  m: { id: string; from: string; to: string; kind?: TrafficKind },
  state: Exclude<State, "queued">,
  reader?: Reader,
): Writes {
  const k = stateKeys(mesh.config.prefix);
  const ts = nowTs();
  const mark = JSON.stringify(clean({ ts, reader: reader?.kind, session: reader?.session }));
  const sets = [{ key: k.mark(m.id, state), value: mark, ttlSec: STATE_TTL_S }];
  if (state === "taken" && reader) {
    sets.push({ key: k.reader(m.to), value: mark, ttlSec: STATE_TTL_S });
  }
  return {
    appends: [{
      stream: k.events,
      fields: clean({
        event: state,
        id: m.id,
        from: m.from,
        to: m.to,
        kind: m.kind ?? "direct",
        ts,
        reader: reader?.kind,
        session: reader?.session,
      }),
      maxLen: historyCount(mesh),
    }],
    sets,
  };
}

/** Writes of several views as one. */
export function joinViews(...all: Writes[]): Writes {
  return {
    appends: all.flatMap((w) => w.appends ?? []),
    sets: all.flatMap((w) => w.sets ?? []),
  };
}

/**
 * The views of a reply to a request (its id is the request's nonce, its receiver
 * the requester, when the request's state is still kept).
 */
export async function replyViews(
  mesh: Mesh,
  r: { from: string; replyTo: string; text: string },
): Promise<Writes> {
  const nonce = r.replyTo.slice(r.replyTo.lastIndexOf(":") + 1);
  let to = "?";
  try {
    to = (await status(mesh, nonce))?.from ?? "?";
  } catch { /* the view is best effort */ }
  return sentViews(mesh, { id: nonce, from: r.from, to, kind: "reply", text: r.text });
}

function parseJson<T>(raw: string | null): T | null {
  if (raw === null) return null;
  try {
    const v = JSON.parse(raw);
    return v && typeof v === "object" ? v as T : null;
  } catch {
    return null;
  }
}

/** The statuses of several messages in one round trip (null where nothing is kept). */
export async function statuses(mesh: Mesh, ids: string[]): Promise<(MessageStatus | null)[]> {
  const k = stateKeys(mesh.config.prefix);
  const wanted = ids.map((id) => isMessageId(id) ? id : null);
  const keys = wanted.flatMap((id) =>
    id ? [k.message(id), ...STATES.slice(1).map((s) => k.mark(id, s as State))] : []
  );
  const values = keys.length ? await mesh.store.getMany(keys) : [];
  let i = 0;
  return wanted.map((id) => {
    if (!id) return null;
    const [base, ...marks] = values.slice(i, i += STATES.length);
    const doc = parseJson<Omit<MessageStatus, "state" | "marks">>(base);
    if (!doc) return null;
    const status: MessageStatus = {
      id,
      from: String(doc.from ?? "?"),
      to: String(doc.to ?? "?"),
      kind: (doc.kind ?? "direct") as TrafficKind,
      ts: String(doc.ts ?? ""),
      text: String(doc.text ?? ""),
      state: "queued",
      marks: { queued: { ts: String(doc.ts ?? "") } },
    };
    STATES.slice(1).forEach((s, j) => {
      const mark = parseJson<StateMark>(marks[j]);
      if (mark) {
        status.marks[s] = mark;
        status.state = s;
      }
    });
    return status;
  });
}

/** The status of message `id`, or null when nothing is kept for it. */
export async function status(mesh: Mesh, id: string): Promise<MessageStatus | null> {
  return (await statuses(mesh, [id]))[0];
}

/** True when `state` is at or past `wanted`. */
export function reached(state: State, wanted: State): boolean {
  return STATES.indexOf(state) >= STATES.indexOf(wanted);
}

/** Reads one events-stream entry; entries lacking the basic fields are null. */
export function parseEvent(entry: StreamEntry): MeshEvent | null {
  const f = entry.fields;
  const events = ["sent", "taken", "delivered", "seen"];
  if (!f.id || !events.includes(f.event)) return null;
  return clean({
    eid: entry.id,
    event: f.event,
    id: f.id,
    from: f.from ?? "?",
    to: f.to ?? "?",
    kind: f.kind ?? "direct",
    ts: f.ts ?? "",
    text: f.text,
    reader: f.reader,
    session: f.session,
  }) as unknown as MeshEvent;
}

/** The id of the newest event, or "0": the cursor from which to read only what comes next. */
export async function eventsCursor(mesh: Mesh): Promise<string> {
  const [last] = await mesh.store.revRange(stateKeys(mesh.config.prefix).events, 1);
  return last?.id ?? "0";
}

/**
 * Reads the events after `cursor`, waiting up to `blockMs` for the first one
 * (a blocking read of the store, no polling). Returns them and the next cursor.
 */
export async function nextEvents(
  mesh: Mesh,
  cursor: string,
  o: { blockMs: number; signal?: AbortSignal; count?: number },
): Promise<{ events: MeshEvent[]; cursor: string }> {
  const stream = stateKeys(mesh.config.prefix).events;
  const got = await mesh.store.read({ [stream]: cursor }, {
    blockMs: o.blockMs,
    signal: o.signal,
    count: o.count ?? 100,
  });
  const entries = got[0]?.entries ?? [];
  return {
    events: entries.flatMap((e) => {
      const p = parseEvent(e);
      return p ? [p] : [];
    }),
    cursor: entries.at(-1)?.id ?? cursor,
  };
}

/** The newest `count` events, oldest first. */
export async function recentEvents(mesh: Mesh, count: number): Promise<MeshEvent[]> {
  const entries = await mesh.store.revRange(stateKeys(mesh.config.prefix).events, count);
  return entries.reverse().flatMap((e) => {
    const p = parseEvent(e);
    return p ? [p] : [];
  });
}

/**
 * Waits until message `id` reaches `wanted`, reading the events stream (blocking
 * reads). Returns its status then, or null when `timeoutMs` passes first.
 * `cursor` is an events cursor taken before the message was sent, so that no
 * change in between is missed.
 */
export async function waitForState(
  mesh: Mesh,
  id: string,
  wanted: State,
  o: { timeoutMs: number; cursor: string; signal?: AbortSignal },
): Promise<MessageStatus | null> {
  const deadline = Date.now() + o.timeoutMs;
  let cursor = o.cursor;
  const now = await status(mesh, id);
  if (now && reached(now.state, wanted)) return now;
  while (!o.signal?.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) return null;
    const next = await nextEvents(mesh, cursor, { blockMs: left, signal: o.signal });
    cursor = next.cursor;
    const hit = next.events.find((e) =>
      e.id === id && e.event !== "sent" && reached(e.event as State, wanted)
    );
    if (hit) return await status(mesh, id);
  }
  return null;
}

/** The reader that last took a message of `name`, when known. */
export async function lastReader(mesh: Mesh, name: string): Promise<StateMark | null> {
  checkName(name);
  return parseJson<StateMark>(await mesh.store.get(stateKeys(mesh.config.prefix).reader(name)));
}

/**
 * Marks messages as `seen` by Claude Code session `session` (ids found in its
 * transcript). Only ids with a kept state that are not yet seen are marked;
 * returns the ids marked.
 */
export async function markSeen(mesh: Mesh, ids: string[], session: string): Promise<string[]> {
  const unique = [...new Set(ids.filter(isMessageId))];
  const found = await statuses(mesh, unique);
  const marked: string[] = [];
  for (const s of found) {
    if (!s || s.marks.seen) continue;
    marked.push(s.id);
  }
  const views = marked.map((id) =>
    stateViews(mesh, found.find((s) => s?.id === id)!, "seen", { kind: "hook", session })
  );
  if (views.length) await mesh.store.send({ writes: {}, views: joinViews(...views) });
  return marked;
}

const ID_IN_TEXT_RE =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])/g;

/**
 * The message ids (UUIDs and 32-hex nonces) that occur in a Claude Code transcript
 * file (JSONL), each once, in order of first appearance, and the file's size. With
 * `fromByte` (a size returned before), only what was appended since is read, so
 * a hook need not re-read a long transcript. A missing file has none.
 * Callers pass the ids to `markSeen`, which keeps only ids of real messages.
 */
export async function idsInTranscript(
  path: string,
  fromByte = 0,
): Promise<{ ids: string[]; size: number }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { ids: [], size: 0 };
    throw err;
  }
  try {
    const size = (await file.stat()).size;
    const start = fromByte <= size ? fromByte : 0; // a shorter file was replaced: read it all
    await file.seek(start, Deno.SeekMode.Start);
    const bytes = new Uint8Array(size - start);
    let got = 0;
    while (got < bytes.length) {
      const n = await file.read(bytes.subarray(got));
      if (n === null) break;
      got += n;
    }
    const text = new TextDecoder().decode(bytes.subarray(0, got));
    return { ids: [...new Set(text.match(ID_IN_TEXT_RE) ?? [])], size: start + got };
  } finally {
    file.close();
  }
}

/**
 * Deletes every kept state of messages to `name`, and its reader key.
 * Returns how many keys went. (Events stay: they age out of the capped stream.)
 */
export async function forgetAgent(mesh: Mesh, name: string): Promise<number> {
  checkName(name);
  const k = stateKeys(mesh.config.prefix);
  const keys = await mesh.store.scan(k.statePrefix, "string");
  const bases = keys.filter((key) => isMessageId(key.slice(k.statePrefix.length)));
  const docs = bases.length ? await mesh.store.getMany(bases) : [];
  const doomed: string[] = [k.reader(name)];
  bases.forEach((key, i) => {
    const doc = parseJson<{ id: string; to: string }>(docs[i]);
    if (doc?.to === name) {
      const id = key.slice(k.statePrefix.length);
      doomed.push(key, ...STATES.slice(1).map((s) => k.mark(id, s as State)));
    }
  });
  return await mesh.store.del(...doomed);
}
