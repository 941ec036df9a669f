/**
 * What the dashboard shows, read from the store without taking anything: agents
 * with their unread backlog, traffic with states, obligations, and the rate
 * gate's recent verdicts per pair.
 */
import { Ledger, type LedgerEntry } from "../mesh/ledger.ts";
import { parseEntry } from "../mesh/message.ts";
import type { Mesh } from "../mesh/mesh.ts";
import { who } from "../mesh/presence.ts";
import {
  lastReader,
  type MeshEvent,
  recentEvents,
  type State,
  statuses,
  type TrafficKind,
} from "../mesh/states.ts";

/** Inbox entries looked at per agent for its unread count. */
const UNREAD_WINDOW = 200;
/** Events folded into the traffic view (and searched). */
const TRAFFIC_WINDOW = 2000;
/** Audit entries folded into the gate view. */
const AUDIT_WINDOW = 500;

/** One agent row. */
export interface AgentRow {
  name: string;
  role: string;
  online: boolean;
  /** How it last received (`listen`, `monitor`, `hook`, …), when known. */
  receives: string | null;
  unread: number;
  /** Unix seconds of the oldest unread message, or null. */
  oldest_unread_ts: number | null;
}

/** Agents, registered first, then those with only an inbox. */
export async function agentRows(mesh: Mesh): Promise<AgentRow[]> {
  const agents = await who(mesh, true);
  return await Promise.all(agents.map(async (a): Promise<AgentRow> => {
    const entries = await mesh.store.revRange(mesh.keys.inbox(a.agent), UNREAD_WINDOW);
    const messages = entries.flatMap((e) => {
      const p = parseEntry(e);
      return p?.kind === "message" ? [p.message] : [];
    });
    const states = await statuses(mesh, messages.map((m) => m.id));
    const unread = messages.filter((_, i) => {
      const s = states[i]?.state;
      return s === "queued" || s === "taken";
    });
    const oldest = unread.length ? Number(unread[unread.length - 1].ts) : null;
    const reader = await lastReader(mesh, a.agent);
    return {
      name: a.agent,
      role: a.role,
      online: a.online !== false,
      receives: reader?.reader ?? null,
      unread: unread.length,
      oldest_unread_ts: oldest,
    };
  }));
}

/** One message of the traffic view with its latest state. */
export interface TrafficRow {
  id: string;
  from: string;
  to: string;
  kind: TrafficKind;
  ts: string;
  text: string;
  state: State | null;
  reader: string | null;
  /** For a request: true once a reply event was seen. */
  answered?: boolean;
}

/** Folds events into one row per message, oldest first. */
export function foldEvents(events: MeshEvent[]): TrafficRow[] {
  const rows = new Map<string, TrafficRow>();
  for (const e of events) {
    if (e.event === "sent") {
      if (e.kind === "reply") {
        const req = rows.get(e.id);
        if (req) req.answered = true;
        rows.set(`${e.id}:reply`, row(e, null));
        continue;
      }
      rows.set(e.id, row(e, e.kind === "direct" || e.kind === "request" ? "queued" : null));
    } else {
      const r = rows.get(e.id);
      if (r) {
        r.state = e.event;
        if (e.reader) r.reader = e.reader;
      }
    }
  }
  return [...rows.values()];
}

function row(e: MeshEvent, state: State | null): TrafficRow {
  const r: TrafficRow = {
    id: e.id,
    from: e.from,
    to: e.to,
    kind: e.kind,
    ts: e.ts,
    text: e.text ?? "",
    state,
    reader: null,
  };
  if (e.kind === "request") r.answered = false;
  return r;
}

/** Traffic, newest last: at most `limit` rows involving `agent` and containing `q`. */
export async function trafficRows(
  mesh: Mesh,
  o: { agent?: string; q?: string; limit: number; pings?: boolean },
): Promise<TrafficRow[]> {
  const rows = foldEvents(await recentEvents(mesh, TRAFFIC_WINDOW));
  const q = o.q?.toLowerCase();
  return rows.filter((r) =>
    (o.pings || r.kind !== "ping") &&
    (!o.agent || r.from === o.agent || r.to === o.agent) &&
    (!q || r.text.toLowerCase().includes(q) || r.from.toLowerCase().includes(q) ||
      r.to.toLowerCase().includes(q))
  ).slice(-o.limit);
}

/** An open `--expect-reply` entry, with its sender. */
export type Obligation = LedgerEntry & { sender: string };

const LEDGER_FILE = /^pending-([A-Za-z0-9_-]{1,64})\.jsonl$/;

/** Every open entry of every ledger in the agent-mesh home, and requests not answered. */
export async function obligations(
  mesh: Mesh,
): Promise<{ ledger: Obligation[]; requests: TrafficRow[] }> {
  const ledger: Obligation[] = [];
  try {
    for await (const f of Deno.readDir(mesh.config.home)) {
      const m = f.isFile ? f.name.match(LEDGER_FILE) : null;
      if (!m) continue;
      const entries = await new Ledger(mesh.config.home, m[1]).list();
      ledger.push(...entries.map((e) => ({ ...e, sender: m[1] })));
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  ledger.sort((a, b) => a.deadline_ts - b.deadline_ts);
  const requests = foldEvents(await recentEvents(mesh, TRAFFIC_WINDOW))
    .filter((r) => r.kind === "request" && !r.answered);
  return { ledger, requests };
}

/** The rate gate's recent verdicts for one sender→target pair. */
export interface GatePair {
  from: string;
  to: string;
  sends: number;
  /** Highest count in one 10 s window. */
  max_rate: number;
  observe: number;
  deny: number;
  last_verdict: string;
  last_ts: string;
}

/** Recent audit entries folded per pair, the most recent pair first. */
export async function gatePairs(mesh: Mesh): Promise<GatePair[]> {
  const entries = await mesh.store.revRange(mesh.keys.audit, AUDIT_WINDOW);
  const pairs = new Map<string, GatePair>();
  for (const { fields: f } of entries) { // newest first
    const key = `${f.from}\n${f.to}`;
    let p = pairs.get(key);
    if (!p) {
      p = {
        from: f.from ?? "?",
        to: f.to ?? "?",
        sends: 0,
        max_rate: 0,
        observe: 0,
        deny: 0,
        last_verdict: f.verdict ?? "?",
        last_ts: f.ts ?? "",
      };
      pairs.set(key, p);
    }
    p.sends++;
    p.max_rate = Math.max(p.max_rate, Number(f.rate) || 0);
    if (f.verdict === "observe") p.observe++;
    if (f.verdict === "deny") p.deny++;
  }
  return [...pairs.values()];
}
