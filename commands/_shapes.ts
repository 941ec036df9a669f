/** The JSON shapes that several commands print (see `agent-mesh help json`). */
import { arr, bool, lit, named, nullable, num, obj, oneOf, str } from "./_cli/shape.ts";

/** A message, as `listen`, `monitor` and the MCP tools give it. */
export const MESSAGE = named(
  "Message",
  obj({ from: str, text: str, id: str, ts: str, "reply_to?": str, "to?": str }),
);

/** A registry entry, as the original writes it (`ts` and `pid` are numbers). */
export const AGENT = named(
  "Agent",
  obj({ agent: str, role: str, pid: num, ts: num, "online?": bool, "listening?": nullable(str) }),
);

/** A line of the pending ledger, with the original's fields. */
export const PENDING_ENTRY = named(
  "PendingEntry",
  obj({
    id: str,
    dir: lit("out"),
    peer: str,
    msg_id: str,
    sent_ts: num,
    deadline_ts: num,
    tries: num,
    note: str,
    escalated: bool,
  }),
);

const SENT_FIELDS = { ok: lit(true), id: str, verdict: oneOf("allow", "observe") };

/** What a send or broadcast returns. */
export const SENT = named("Sent", obj(SENT_FIELDS));

/** What `send` prints: the send, and with `--wait` the state reached (null: not in time). */
export const SENT_WAITED = named(
  "Sent",
  obj({ ...SENT_FIELDS, "state?": nullable(oneOf("taken", "delivered", "seen")) }),
);

/** What an ack returns: the send, and how many ledger entries it cleared. */
export const ACKED = named("Acked", obj({ ...SENT_FIELDS, cleared: num }));

/** Agents, as `who` prints them. */
export const AGENTS = arr(AGENT);
