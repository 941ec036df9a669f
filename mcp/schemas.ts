/**
 * The zod pieces the tools share: input fields whose validation errors are one
 * clear sentence naming the field, and the shapes of the results.
 */
import { GateDeniedError } from "../lib/errors.ts";
import type { Verdict } from "../lib/mesh/gate.ts";
import type { Message } from "../lib/mesh/message.ts";
import { NAME_MAX, NAME_PATTERN } from "../lib/names.ts";
import { z } from "./sdk.ts";

/** Longest wait of `mesh_listen`, `mesh_listen_once` and `mesh_request`, in seconds. */
export const MAX_WAIT_S = 600;
/** Longest wait of `mesh_ping`, in seconds. */
export const MAX_PING_S = 60;
/** Most messages `mesh_history` returns. */
export const MAX_HISTORY = 200;

/** How a wrong value reads in a message: its JSON, cut short. */
function shown(input: unknown): string {
  if (typeof input === "string" && input.length > 30) {
    return JSON.stringify(`${input.slice(0, 30)}…`);
  }
  const json = JSON.stringify(input) ?? String(input);
  return json.length > 40 ? `${json.slice(0, 39)}…` : json;
}

function kind(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "an array";
  const t = typeof input;
  return t === "object" ? "an object" : t === "undefined" ? "nothing" : `a ${t}`;
}

/** A required or optional text field: `Missing "field"` / `Invalid "field": expected text, got a number`. */
export function textField(field: string, description: string) {
  return z.string({
    error: (iss) =>
      iss.input === undefined
        ? `Missing "${field}"`
        : `Invalid "${field}": expected text, got ${kind(iss.input)}`,
  }).describe(description);
}

/** An agent name: 1–64 letters, digits, "_" or "-". */
export function nameField(field: string, description: string) {
  const invalid = (iss: { input?: unknown }) =>
    `Invalid "${field}" ${
      shown(iss.input)
    }: an agent name is 1 to ${NAME_MAX} letters, digits, "_" or "-"`;
  return textField(field, description)
    .min(1, { error: () => `Missing "${field}"`, abort: true })
    .max(NAME_MAX, { error: invalid, abort: true })
    .regex(NAME_PATTERN, { error: invalid, abort: true });
}

/** A wait in seconds, 0 or more, with a default; values over `max` are clamped by the tool. */
export function secondsField(field: string, fallback: number, max: number, what: string) {
  return z.number({
    error: (iss) => `Invalid "${field}": expected a number of seconds, got ${kind(iss.input)}`,
  })
    .min(0, {
      error: (iss) => `Invalid "${field}" ${shown(iss.input)}: expected 0 or more seconds`,
    })
    .default(fallback)
    .describe(
      `${what}, in seconds (default ${fallback}, at most ${max}: larger values are clamped)`,
    );
}

/** The optional sender of tools that send. */
export const fromAgent = nameField(
  "from_agent",
  'Your agent name, shown to the recipient as the sender (default: the agent this session is, else "mcp"; a session started as an agent cannot send as another)',
).optional();

/** A message as tools return it. */
export const messageSchema = z.object({
  from: z.string().describe("Sender"),
  text: z.string().describe("Message text"),
  msg: z.string().describe("The same text, under the original tool's name"),
  id: z.string().describe("Message id"),
  ts: z.string().describe("Send time, Unix seconds as a decimal string"),
  reply_to: z.string().optional().describe(
    "Present when the message is a request: answer it with mesh_reply and this key",
  ),
  to: z.string().optional().describe('Group messages only: the target ("*" for a broadcast)'),
});

/** A message in a tool result: `msg` beside `text`, as the original's clients read it. */
export function toolMessage(m: Message): Message & { msg: string } {
  return { ...m, msg: m.text };
}

/** A send's result; a send the rate gate refused is `ok: false` (the original's answer), not an error. */
export const sentShape = {
  ok: z.boolean().describe("True when sent; false when the rate gate refused it (see error)"),
  id: z.string().optional().describe("Id of the message sent"),
  verdict: z.enum(["allow", "observe", "deny"]).describe(
    'Rate gate verdict: "observe" means over the limit but delivered (and audited); "deny": refused',
  ),
  error: z.string().optional().describe("Why the send was refused"),
};

/** The result of a send, or `ok: false` with the reason when the enforced rate gate refused it. */
export async function gatedSend<T extends { ok: true; id: string; verdict: Verdict }>(
  sending: Promise<T>,
): Promise<T | { ok: false; verdict: "deny"; error: string }> {
  try {
    return await sending;
  } catch (err) {
    if (!(err instanceof GateDeniedError)) throw err;
    return { ok: false, verdict: "deny", error: err.message };
  }
}

/** A registry entry. */
export const agentSchema = z.object({
  agent: z.string(),
  role: z.string(),
  pid: z.number(),
  ts: z.number().describe("Registration time, Unix seconds"),
  online: z.boolean().optional(),
  listening: z.string().nullable().optional().describe(
    "How a reader listens for this agent right now (monitor, listen, hooks, mesh_listen); null: nothing listens",
  ),
});

/** A pending-ledger entry. */
export const ledgerEntrySchema = z.object({
  id: z.string(),
  dir: z.literal("out"),
  peer: z.string(),
  msg_id: z.string(),
  sent_ts: z.number(),
  deadline_ts: z.number(),
  tries: z.number(),
  note: z.string(),
  escalated: z.boolean(),
});
