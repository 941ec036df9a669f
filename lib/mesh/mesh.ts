/**
 * The messaging logic, written once against the storage port and shared by the
 * CLI commands and the MCP server: send, broadcast, ping, request, reply, ack.
 * Presence and listening live beside it (presence.ts, listen.ts).
 */
import type { Config } from "../config.ts";
import { GateDeniedError, InboxFullError, MeshError } from "../errors.ts";
import { checkName } from "../names.ts";
import type { AppendOp, Fields, SendPlan, Store, Writes } from "../store/port.ts";
import { GATE_WINDOW_S, type Verdict } from "./gate.ts";
import { Keys, newNonce, nowTs } from "./keys.ts";
import { askOf, markDone, waitingSet } from "./asks.ts";
import { Ledger } from "./ledger.ts";
import { messageFields } from "./message.ts";
import { replyViews, sentViews } from "./states.ts";
import { checkReplyKey, checkText } from "./validate.ts";

/** How long an answered pong or an unread reply stays in the store, in seconds. */
export const RENDEZVOUS_TTL_S = 300;

/** Result of a send or broadcast. */
export interface SendResult {
  ok: true;
  id: string;
  verdict: Verdict;
}

/** Result of a ping. */
export interface PingResult {
  ok: boolean;
  latency_ms?: number;
  from?: string;
}

/** A reply to a request. */
export interface Reply {
  from: string;
  text: string;
  ts: string;
}

/** Options of calls that wait. */
export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The mesh as one agent-facing API over a store. */
export class Mesh {
  readonly keys: Keys;

  /**
   * `now` is the clock of what depends on time here and in the modules beside
   * (reply deadlines, the chase's backoff, a request's expiry, presence times);
   * tests inject one. Waits still run in real time.
   */
  constructor(
    readonly store: Store,
    readonly config: Config,
    readonly now: () => number = Date.now,
  ) {
    this.keys = new Keys(config.prefix);
  }

  /** Throws a UsageError when `text` is not a string or is over the size limit. */
  checkText(text: unknown, what = "message"): string {
    return checkText(text, this.config.maxBytes, what);
  }

  /**
   * The append of `fields` to `to`'s inbox: entries `to` has not acknowledged are
   * never trimmed, and a full inbox refuses the append (InboxFullError).
   */
  #inboxOp(to: string, fields: Fields): AppendOp {
    return {
      stream: this.keys.inbox(to),
      fields,
      maxLen: this.config.history,
      keepUnread: { group: this.keys.consumerGroup(to), maxUnread: this.config.maxUnread },
    };
  }

  /** An append to a shared stream (group, audit), capped by the history setting. */
  #sharedOp(stream: string, fields: Fields): AppendOp {
    return { stream, fields, maxLen: this.config.history };
  }

  /** Runs `fn`; a full inbox of `to` is reported in the user's words. */
  async #toInbox<T>(to: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof InboxFullError) || err.stream !== this.keys.inbox(to)) throw err;
      throw new InboxFullError(
        `The inbox of "${to}" is full: ${err.unread} unread messages, the limit (AGENT_MESH_MAX_UNREAD=${this.config.maxUnread}); nothing was sent`,
        err.stream,
        err.unread,
        { cause: err },
      );
    }
  }

  /** The ledger of `sender`. */
  ledger(sender: string): Ledger {
    return new Ledger(this.config.home, checkName(sender));
  }

  /**
   * Sends one message in one step of the store (one transaction, or one script):
   * the rate gate for from→to with its audit entry, then, unless denied, `writes`
   * and `views`. Throws GateDeniedError when enforcing.
   */
  async #gated(
    from: string,
    to: string,
    text: string,
    writes: Writes,
    views: Writes,
  ): Promise<Verdict> {
    const { gateLimit, gateEnforce } = this.config;
    const plan: SendPlan = {
      gate: {
        key: this.keys.rate(from, to),
        windowSec: GATE_WINDOW_S,
        limit: gateLimit,
        enforce: gateEnforce,
        // `rate` and `verdict` are filled in by the store, from the count.
        audit: this.#sharedOp(this.keys.audit, {
          from,
          to,
          rate: "",
          window: String(GATE_WINDOW_S),
          verdict: "",
          ts: nowTs(this.now()),
          msg: text.slice(0, 200),
        }),
      },
      writes,
      views,
    };
    const { verdict } = await this.store.send(plan);
    if (verdict === "deny") {
      throw new GateDeniedError(
        `Rate limit: ${from} sent more than ${gateLimit} messages to ${to} in ${GATE_WINDOW_S} s (AGENT_MESH_GATE_ENFORCE=1)`,
      );
    }
    return verdict;
  }

  /** Sends `text` to `to`'s inbox and, unless private, echoes it on the group stream. */
  async send(o: {
    from: string;
    to: string;
    text: string;
    private?: boolean;
    expectReply?: boolean;
    withinS?: number;
  }): Promise<SendResult> {
    const from = checkName(o.from, "sender name");
    const to = checkName(o.to, "target name");
    const text = this.checkText(o.text);
    const now = this.now();
    const id = crypto.randomUUID();
    const ts = nowTs(now);
    const within = o.withinS ?? 120;
    const extra = o.expectReply
      ? { expect_reply: "1", deadline: String(now / 1000 + within) }
      : undefined;
    const fields = messageFields({ from, text, id, ts }, extra);
    const ops: AppendOp[] = [this.#inboxOp(to, fields)];
    if (!o.private) ops.push(this.#sharedOp(this.keys.group, { ...fields, to }));
    // The ledger entry goes first and is taken back when the send fails: a home
    // where it cannot be written fails the call before anything is delivered, so
    // that a retry does not deliver twice.
    const ledgerId = crypto.randomUUID();
    if (o.expectReply) {
      await this.ledger(from).add({
        id: ledgerId,
        dir: "out",
        peer: to,
        msg_id: id,
        sent_ts: now / 1000,
        deadline_ts: now / 1000 + within,
        tries: 0,
        note: text.slice(0, 200),
        escalated: false,
      });
    }
    try {
      const views = sentViews(this, { id, from, to, kind: "direct", text, ts });
      const verdict = await this.#toInbox(
        to,
        () => this.#gated(from, to, text, { appends: ops }, views),
      );
      return { ok: true, id, verdict };
    } catch (err) {
      if (o.expectReply) await this.ledger(from).removeId(ledgerId).catch(() => {});
      throw err;
    }
  }

  /** Posts `text` on the group stream only, to every listening agent. */
  async broadcast(o: { from: string; text: string }): Promise<SendResult> {
    const from = checkName(o.from, "sender name");
    const text = this.checkText(o.text);
    const id = crypto.randomUUID();
    const fields = messageFields({ from, text, id, ts: nowTs(this.now()) }, { to: "*" });
    const views = sentViews(this, { id, from, to: "*", kind: "group", text, ts: fields.ts });
    const writes = { appends: [this.#sharedOp(this.keys.group, fields)] };
    const verdict = await this.#gated(from, "*", text, writes, views);
    return { ok: true, id, verdict };
  }

  /** Pings `to` and waits for any of its listeners to answer. */
  async ping(o: { from: string; to: string } & WaitOptions): Promise<PingResult> {
    const from = checkName(o.from, "sender name");
    const to = checkName(o.to, "target name");
    const nonce = newNonce();
    const pong = this.keys.pong(nonce);
    const started = performance.now();
    // The wait for the pong starts with the append, not a round trip after it: the
    // pong stream is read from its start, so a pong that comes first is still seen.
    // The append goes out first: it is what the listener waits for.
    const appending = this.#toInbox(to, () =>
      this.store.send({
        writes: {
          appends: [this.#inboxOp(to, { from, msg_type: "ping", nonce, ts: nowTs(this.now()) })],
        },
        views: sentViews(this, { id: nonce, from, to, kind: "ping", text: "" }),
      }));
    const cancel = new AbortController();
    const signal = o.signal ? AbortSignal.any([o.signal, cancel.signal]) : cancel.signal;
    const reading = this.store.read({ [pong]: "0" }, { blockMs: o.timeoutMs, count: 1, signal });
    reading.catch(() => {}); // a failed read is reported below, not as an unhandled rejection
    try {
      try {
        await appending;
      } catch (err) {
        cancel.abort();
        await reading.catch(() => {});
        throw err;
      }
      const got = await reading;
      const entry = got[0]?.entries[0];
      if (!entry) return { ok: false };
      const latency = performance.now() - started;
      return { ok: true, latency_ms: Math.round(latency * 100) / 100, from: entry.fields.from };
    } finally {
      // Not awaited: the answer is known; the rendezvous key goes in the background
      // (and expires by itself anyway, RENDEZVOUS_TTL_S after the pong).
      this.store.del(pong).catch(() => {});
    }
  }

  /** Sends a request to `to` and waits for its reply. */
  async request(
    o: { from: string; to: string; text: string } & WaitOptions,
  ): Promise<{ reply: Reply | null; id: string; reply_to: string }> {
    const from = checkName(o.from, "sender name");
    const to = checkName(o.to, "target name");
    const text = this.checkText(o.text);
    const nonce = newNonce();
    const replyKey = this.keys.reply(nonce);
    const until = this.now() / 1000 + o.timeoutMs / 1000;
    // The request, the record that its asker waits, and its views: one step.
    await this.#toInbox(to, () =>
      this.store.send({
        writes: {
          appends: [
            this.#inboxOp(to, {
              from,
              msg: text,
              reply_to: replyKey,
              ts: nowTs(this.now()),
              id: nonce,
            }),
          ],
          sets: [
            waitingSet(this, {
              nonce,
              from,
              to,
              text: text.slice(0, 500),
              reply_to: replyKey,
              until,
            }),
          ],
        },
        views: sentViews(this, { id: nonce, from, to, kind: "request", text }),
      }));
    try {
      const got = await this.store.read({ [replyKey]: "0" }, {
        blockMs: o.timeoutMs,
        count: 1,
        signal: o.signal,
      });
      const f = got[0]?.entries[0]?.fields;
      const reply = f ? { from: f.from ?? "?", text: f.reply ?? "", ts: f.ts ?? "" } : null;
      return { reply, id: nonce, reply_to: replyKey };
    } finally {
      await this.store.del(replyKey).catch(() => {});
      await markDone(this, nonce).catch(() => {});
    }
  }

  /** Answers a request: only a reply rendezvous key of this mesh's prefix is accepted. */
  async reply(o: { from: string; replyTo: string; text: string }): Promise<{ ok: true }> {
    const from = checkName(o.from, "sender name");
    const text = this.checkText(o.text, "reply");
    checkReplyKey(this.keys, o.replyTo);
    const ask = await askOf(this, o.replyTo.slice(o.replyTo.lastIndexOf(":") + 1));
    if (ask?.state === "done") {
      throw new MeshError(
        `Nobody waits for a reply to ${o.replyTo}: ${ask.from}'s request timed out, was answered or was given up`,
      );
    }
    await this.store.send({
      writes: {
        appends: [{
          stream: o.replyTo,
          fields: { from, reply: text, ts: nowTs(this.now()) },
          ttlSec: RENDEZVOUS_TTL_S,
        }],
      },
      views: await replyViews(this, { from, replyTo: o.replyTo, text }),
    });
    return { ok: true };
  }

  /** Clears the sender's ledger entries for `peer` and sends `ACK: text` privately. */
  async ack(
    o: { from: string; peer: string; text: string },
  ): Promise<SendResult & { cleared: number }> {
    const from = checkName(o.from, "sender name");
    const peer = checkName(o.peer, "peer name");
    const text = this.checkText(o.text);
    // What is sent is "ACK: text": checked before the ledger is touched.
    this.checkText(`ACK: ${text}`);
    const cleared = await this.ledger(from).removePeer(peer);
    const sent = await this.send({ from, to: peer, text: `ACK: ${text}`, private: true });
    return { ...sent, cleared };
  }
}
