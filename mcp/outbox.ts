/**
 * Watches what one session's server sends on its transport: tells a tool when
 * its response has really been handed to the client (a listen acknowledges its
 * message only then), and rewrites the SDK's tool-error texts into one sentence.
 */
import {
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
  type Transport,
} from "./sdk.ts";

/**
 * One sentence for a tool error produced by the SDK itself (argument validation,
 * unknown tool); other texts are returned unchanged.
 */
export function polishToolError(text: string): string {
  const invalid = text.match(
    /^MCP error -?\d+: Input validation error: Invalid arguments for tool (\S+): ([^\n]*)/,
  );
  if (invalid) {
    // The SDK appends " at <path>" to each issue; ours already name their field.
    const issue = invalid[2].replace(/ at [\w.[\]]+$/, "");
    return /^(Missing|Invalid) "/.test(issue)
      ? `${issue} (tool ${invalid[1]})`
      : `Invalid arguments for tool ${invalid[1]}: ${issue}`;
  }
  const unknown = text.match(/^MCP error -?\d+: Tool (\S+) not found$/);
  if (unknown) return `Unknown tool "${unknown[1]}": see tools/list for the tools of agent-mesh`;
  return text.replace(/^MCP error -?\d+: /, "");
}

function polish(message: JSONRPCMessage): JSONRPCMessage {
  if (!isJSONRPCResultResponse(message) || message.result.isError !== true) return message;
  const content = message.result.content;
  if (!Array.isArray(content) || content.length !== 1 || content[0]?.type !== "text") {
    return message;
  }
  const text = polishToolError(String(content[0].text));
  return { ...message, result: { ...message.result, content: [{ type: "text", text }] } };
}

/** The send watcher of one session. */
export class Outbox {
  readonly #waiting = new Map<RequestId, (sent: boolean) => void>();

  /** Wraps `transport.send`; call before the server connects to it. */
  attach(transport: Transport): void {
    const send = transport.send.bind(transport);
    transport.send = async (message, options) => {
      const id = isJSONRPCResultResponse(message) ? message.id : undefined;
      let ok = false;
      try {
        await send(polish(message), options);
        ok = true;
      } finally {
        if (id !== undefined) this.#waiting.get(id)?.(ok);
      }
    };
  }

  /** See SessionContext.sent. */
  sent(requestId: RequestId, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const done = (sent: boolean) => {
        this.#waiting.delete(requestId);
        signal.removeEventListener("abort", onAbort);
        resolve(sent);
      };
      const onAbort = () => done(false);
      this.#waiting.set(requestId, done);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Settles every pending wait with false. */
  close(): void {
    for (const done of [...this.#waiting.values()]) done(false);
  }
}
