/**
 * A scripted stand-in for the Anthropic Messages API on 127.0.0.1, for driving the real
 * Claude Code client in tests. It answers `POST /v1/messages` as server-sent events (or as
 * one JSON message when the client does not stream), records every request, and lets a test
 * wait for the first request that matches a condition.
 */

/** One request the stand-in received, its body parsed. */
export interface ModelRequest {
  /** Position in the order of arrival, from 0. */
  readonly index: number;
  readonly method: string;
  /** Path without the query, e.g. `/v1/messages`. */
  readonly path: string;
  /** Query string with its `?`, or "". */
  readonly query: string;
  // deno-lint-ignore no-explicit-any
  readonly body: any;
  /** Every string of `system` and `messages` (not tools), joined by newlines. */
  readonly text: string;
  /** Names of the tools offered to the model. */
  readonly tools: string[];
  /** True for a conversation request: a Messages call that offers tools. */
  readonly isTurn: boolean;
}

/** One block of a scripted assistant message. */
export type Block = { text: string } | { tool: string; input?: Record<string, unknown> };

/** A scripted assistant message: a text, one block, or several blocks in order. */
export type Reply = string | Block | Block[];

/**
 * Decides the reply to a Messages request. `undefined` falls back to the default reply: a
 * short text ("OK." for a conversation request, "Test session" for a request without tools,
 * such as the title the client asks for).
 */
export type Script = (req: ModelRequest) => Reply | undefined | Promise<Reply | undefined>;

/** A running stand-in model. Dispose it (`await using`) to stop it. */
export interface StandInModel extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, for ANTHROPIC_BASE_URL. */
  readonly url: string;
  readonly port: number;
  /** Every request so far, in order of arrival. */
  readonly requests: readonly ModelRequest[];
  /** Replaces the script (for the next requests). */
  setScript(script: Script): void;
  /** Messages requests whose system prompt or messages contain `text`. */
  requestsContaining(text: string): ModelRequest[];
  /**
   * Resolves with the first request (from position `since` on) that matches `predicate`,
   * at once if one already arrived; rejects after `ms`, listing what arrived.
   */
  waitForRequest(
    predicate: (req: ModelRequest) => boolean,
    ms?: number,
    since?: number,
  ): Promise<ModelRequest>;
  /** A one-line summary of each request, for error messages. */
  describe(): string;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Options of `startModel`. */
export interface ModelOptions {
  script?: Script;
  /** The server stops by itself after this long at the latest (a crashed test leaks nothing). */
  maxSeconds?: number;
  /** Logs each request on stderr (also with AGENT_MESH_CLAUDE_DEBUG=1). */
  log?: boolean;
}

// deno-lint-ignore no-explicit-any
type Json = any;

/**
 * The text of a Messages API value (a system prompt, messages, content blocks): text blocks,
 * string contents, tool results, and tool inputs as JSON, joined by newlines.
 */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(textOf).filter(Boolean).join("\n");
  if (!value || typeof value !== "object") return "";
  const v = value as Json;
  if (v.type === "tool_use") return JSON.stringify(v.input ?? {});
  return [textOf(v.text), textOf(v.content)].filter(Boolean).join("\n");
}

/** True when a message is a user message that only carries tool results (not a new prompt). */
function isToolResults(msg: Json): boolean {
  return msg?.role === "user" && Array.isArray(msg.content) &&
    msg.content.some((b: Json) => b?.type === "tool_result");
}

/**
 * How many assistant messages the current turn already has: 0 for the first request after
 * a prompt, 1 after one round of tool calls, and so on.
 */
export function stepOfTurn(req: ModelRequest): number {
  const messages: Json[] = req.body?.messages ?? [];
  let steps = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === "assistant") steps++;
    else if (!isToolResults(m)) break;
  }
  return steps;
}

/**
 * A script that plays `steps` across one turn: the first request of a turn gets `steps[0]`,
 * the request after its tool results gets `steps[1]`, and so on (then the default reply).
 * Only conversation requests whose text passes `when` (default: all) are scripted.
 */
export function turnScript(steps: Reply[], when: (req: ModelRequest) => boolean = () => true) {
  return (req: ModelRequest): Reply | undefined =>
    req.isTurn && when(req) ? steps[stepOfTurn(req)] : undefined;
}

/** The `tool_result` blocks of the last message of a request. */
export function toolResults(req: ModelRequest): Json[] {
  const last = req.body?.messages?.at(-1);
  return Array.isArray(last?.content)
    ? last.content.filter((b: Json) => b?.type === "tool_result")
    : [];
}

/** The text of the last user prompt of a request (not tool results). */
export function lastPrompt(req: ModelRequest): string {
  const messages: Json[] = req.body?.messages ?? [];
  const m = messages.findLast((m) => m?.role === "user" && !isToolResults(m));
  return m ? textOf(m.content) : "";
}

function blocksOf(reply: Reply): Block[] {
  if (typeof reply === "string") return [{ text: reply }];
  return Array.isArray(reply) ? reply : [reply];
}

let ids = 0;
const nextId = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}${(++ids).toString(36).padStart(6, "0")}`;

/** The content blocks of a reply in the Messages API shape. */
function contentOf(blocks: Block[]): Json[] {
  return blocks.map((b) =>
    "text" in b
      ? { type: "text", text: b.text }
      : { type: "tool_use", id: nextId("toolu"), name: b.tool, input: b.input ?? {} }
  );
}

const usage = { input_tokens: 10, output_tokens: 5 };

/** The reply as the list of server-sent events the API streams. */
function eventsOf(model: string, content: Json[]): [string, Json][] {
  const stop = content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
  const events: [string, Json][] = [[
    "message_start",
    {
      type: "message_start",
      message: {
        id: nextId("msg"),
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    },
  ]];
  content.forEach((b, index) => {
    const start = b.type === "text" ? { type: "text", text: "" } : { ...b, input: {} };
    events.push(["content_block_start", {
      type: "content_block_start",
      index,
      content_block: start,
    }]);
    const delta = b.type === "text"
      ? { type: "text_delta", text: b.text }
      : { type: "input_json_delta", partial_json: JSON.stringify(b.input) };
    events.push(["content_block_delta", { type: "content_block_delta", index, delta }]);
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  events.push([
    "message_delta",
    {
      type: "message_delta",
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: 5 },
    },
  ]);
  events.push(["message_stop", { type: "message_stop" }]);
  return events;
}

function sse(events: [string, Json][]): Response {
  const body = events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)
    .join("");
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

function summary(r: ModelRequest): string {
  const tail = r.text.slice(-160).replaceAll(/\s+/g, " ");
  return `#${r.index} ${r.method} ${r.path}${r.query} tools=${r.tools.length}: …${tail}`;
}

/** Starts the stand-in on a free loopback port. */
export function startModel(options: ModelOptions = {}): StandInModel {
  let script: Script = options.script ?? (() => undefined);
  const log = options.log || Deno.env.get("AGENT_MESH_CLAUDE_DEBUG") === "1";
  const requests: ModelRequest[] = [];
  const listeners = new Set<() => void>();

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const raw = request.method === "POST" ? await request.text() : "";
    let body: Json = null;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      body = raw;
    }
    const isMessages = request.method === "POST" && url.pathname === "/v1/messages";
    const tools: string[] = (body?.tools ?? []).map((t: Json) => t?.name).filter(Boolean);
    const req: ModelRequest = {
      index: requests.length,
      method: request.method,
      path: url.pathname,
      query: url.search,
      body,
      text: isMessages ? textOf([body?.system, body?.messages]) : "",
      tools,
      isTurn: isMessages && tools.length > 0,
    };
    requests.push(req);
    if (log) console.error(`[stand-in model] ${summary(req)}`);
    listeners.forEach((l) => l());

    if (url.pathname === "/v1/messages/count_tokens") {
      return Response.json({ input_tokens: Math.ceil(raw.length / 4) });
    }
    if (!isMessages) {
      // Anything else the client may try (telemetry, account checks): an empty success.
      return Response.json({});
    }
    let reply: Reply | undefined;
    try {
      reply = await script(req);
    } catch (e) {
      console.error(`[stand-in model] script failed on request #${req.index}: ${e}`);
      return Response.json(
        { type: "error", error: { type: "api_error", message: String(e) } },
        { status: 500 },
      );
    }
    reply ??= req.isTurn ? "OK." : "Test session";
    const content = contentOf(blocksOf(reply));
    const model = body?.model ?? "claude-stand-in";
    if (body?.stream) return sse(eventsOf(model, content));
    const stop = content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
    return Response.json({
      id: nextId("msg"),
      type: "message",
      role: "assistant",
      model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage,
    });
  };

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    handler,
  );
  const port = (server.addr as Deno.NetAddr).port;
  let closed: Promise<void> | null = null;
  const close = () =>
    closed ??= (async () => {
      clearTimeout(lifetime);
      listeners.forEach((l) => l());
      await server.shutdown();
    })();
  const lifetime = setTimeout(() => close(), (options.maxSeconds ?? 600) * 1000);
  Deno.unrefTimer(lifetime);

  const model: StandInModel = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setScript(s) {
      script = s;
    },
    requestsContaining(text) {
      return requests.filter((r) => r.text.includes(text));
    },
    waitForRequest(predicate, ms = 60_000, since = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = requests.slice(since).find(predicate);
          if (hit) {
            done();
            resolve(hit);
          } else if (closed) {
            done();
            reject(
              new Error(`Stand-in model closed before a matching request:\n${model.describe()}`),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`No matching model request within ${ms} ms; received:\n${model.describe()}`),
          );
        }, ms);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    describe() {
      return requests.length ? requests.map(summary).join("\n") : "(no request)";
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  return model;
}
