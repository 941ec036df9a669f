/**
 * The requests of one session between their arrival and their response.
 *
 * Two requests in flight with one id would share the SDK's bookkeeping (its
 * cancellation, and our acknowledgement of a listen's message on its response):
 * the second is refused with a JSON-RPC error and never reaches the server. A
 * `tools/call` without its params is refused in one line (-32602), where the SDK
 * would answer a multi-line -32603, and so is any other request the SDK refuses
 * with its validation errors.
 */
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
  type Transport,
} from "./sdk.ts";

/** JSON-RPC codes of the refusals. */
const INVALID_REQUEST = -32600;
const INVALID_PARAMS = -32602;
const INTERNAL_ERROR = -32603;

/** A JSON-RPC error response. */
export function errorResponse(id: RequestId | null, code: number, message: string) {
  return { jsonrpc: "2.0" as const, id: id as RequestId, error: { code, message } };
}

/** The refusal of a request whose id is still in flight. */
export function duplicateError(id: RequestId) {
  return errorResponse(
    id,
    INVALID_REQUEST,
    `Invalid Request: id ${JSON.stringify(id)} is already used by a request still in progress`,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Why a request's params cannot be handled, in one sentence, or null. */
function badParams(method: string, params: unknown): string | null {
  if (method !== "tools/call") return null;
  if (!isObject(params) || typeof params.name !== "string") {
    return 'Invalid params: tools/call needs params with the tool "name" (and its "arguments")';
  }
  if (params.arguments !== undefined && !isObject(params.arguments)) {
    return 'Invalid params: the "arguments" of tools/call must be an object';
  }
  return null;
}

/** One line for a validation error the SDK reports as a JSON list of issues. */
function oneLine(method: string | undefined, message: string): string | null {
  let issues: unknown;
  try {
    issues = JSON.parse(message);
  } catch {
    return null;
  }
  if (!Array.isArray(issues) || !issues.every((i) => isObject(i) && Array.isArray(i.path))) {
    return null;
  }
  const said = issues.map((i) =>
    `${(i.path as unknown[]).join(".") || "params"}: ${String(i.message ?? "invalid")}`
  );
  return `Invalid params${method ? ` for ${method}` : ""}: ${said.join("; ")}`;
}

/** The request tracking of one session. */
export class RequestGuard {
  /** Requests handed to the server and not answered yet, with their method. */
  readonly #inFlight = new Map<RequestId, string>();
  /** Ids reserved by the HTTP front before the transport passes their request on. */
  readonly #reserved = new Set<RequestId>();
  #rawSend: Transport["send"] | null = null;

  /** Called with the method of each request admitted to the server. */
  onRequest?: (method: string) => void;

  /** Wraps `transport` (its send and its onmessage); call before the server connects to it. */
  attach(transport: Transport): void {
    const send = transport.send.bind(transport);
    this.#rawSend = send;
    transport.send = async (message, options) => {
      const id = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)
        ? message.id
        : undefined;
      try {
        await send(id === undefined ? message : this.#polish(message, id), options);
      } finally {
        if (id !== undefined) this.#inFlight.delete(id);
      }
    };
    // The server sets onmessage when it connects; every message then passes here first.
    let inner: Transport["onmessage"];
    const filter: Transport["onmessage"] = (message, extra) => {
      if (!this.#admit(message)) return;
      if (isJSONRPCRequest(message)) this.onRequest?.(message.method);
      inner?.(message, extra);
    };
    Object.defineProperty(transport, "onmessage", {
      configurable: true,
      enumerable: true,
      get: () => inner ? filter : undefined,
      set: (fn: Transport["onmessage"]) => void (inner = fn),
    });
  }

  /**
   * For the HTTP front, before a POST reaches the transport: reserves `ids`, or
   * returns the first one already in flight (and reserves none).
   */
  reserve(ids: RequestId[]): RequestId | null {
    const taken = ids.find((id, i) => this.#inFlight.has(id) || ids.indexOf(id) !== i);
    if (taken !== undefined) return taken;
    for (const id of ids) {
      this.#inFlight.set(id, "");
      this.#reserved.add(id);
    }
    return null;
  }

  /** Frees reserved ids whose request never reached the server (the transport refused the POST). */
  release(ids: RequestId[]): void {
    for (const id of ids) {
      if (this.#reserved.delete(id)) this.#inFlight.delete(id);
    }
  }

  /** True when `message` may go on to the server; refuses it otherwise. */
  #admit(message: JSONRPCMessage): boolean {
    if (isJSONRPCRequest(message)) {
      const { id, method } = message;
      const reserved = this.#reserved.delete(id);
      if (!reserved && this.#inFlight.has(id)) {
        this.#refuse(duplicateError(id));
        return false;
      }
      const bad = badParams(method, message.params);
      if (bad) {
        if (reserved) this.#inFlight.delete(id);
        this.#refuse(errorResponse(id, INVALID_PARAMS, bad));
        return false;
      }
      this.#inFlight.set(id, method);
    } else if (isJSONRPCNotification(message) && message.method === "notifications/cancelled") {
      // The SDK sends nothing for a cancelled request: its id is free again.
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) this.#inFlight.delete(id);
    }
    return true;
  }

  /** Sends a refusal straight to the transport: it answers no request in flight. */
  #refuse(response: ReturnType<typeof errorResponse>): void {
    console.error(`agent-mesh serve: ${response.error.message}`);
    this.#rawSend?.(response).catch(() => {});
  }

  /** The SDK's multi-line validation errors, as one line with the code -32602. */
  #polish(message: JSONRPCMessage, id: RequestId): JSONRPCMessage {
    if (!isJSONRPCErrorResponse(message) || message.error.code !== INTERNAL_ERROR) return message;
    const line = oneLine(this.#inFlight.get(id) || undefined, message.error.message);
    return line ? { ...message, error: { code: INVALID_PARAMS, message: line } } : message;
  }
}
