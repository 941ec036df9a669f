/** HTTP answers of the MCP front: JSON-RPC error bodies and plain JSON. */
import { readRequestBody } from "./sdk_http.ts";

/** A JSON document response. */
export function json(doc: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(doc), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** An HTTP error whose body is a JSON-RPC error with no id (as the SDK's transports answer). */
export function rpcError(
  status: number,
  code: number,
  message: string,
  headers: HeadersInit = {},
): Response {
  return json({ jsonrpc: "2.0", error: { code, message }, id: null }, status, headers);
}

/** JSON-RPC error codes used by the front. */
export const RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  internalError: -32603,
  /** Server-defined: refused or unknown resource (the SDK uses it for most HTTP errors). */
  server: -32000,
  /** The SDK's code for an unknown session. */
  sessionNotFound: -32001,
} as const;

/**
 * Reads a JSON-RPC request body of at most `maxBytes`: the parsed value, or the
 * error response to send instead (413 when too large, a -32700 parse error when
 * not JSON).
 */
export async function readJsonBody(
  req: Request,
  maxBytes: number,
): Promise<{ value: unknown } | { error: Response }> {
  const body = await readRequestBody(req, maxBytes);
  if (body.tooLarge) {
    return { error: rpcError(413, RPC.server, `Payload Too Large: over ${maxBytes} bytes`) };
  }
  try {
    return { value: JSON.parse(body.text) };
  } catch {
    return { error: rpcError(400, RPC.parseError, "Parse error: Invalid JSON") };
  }
}
