/**
 * The one place that names the MCP SDK and zod, pinned, for the server side. The
 * HTTP transports are in `http/sdk_http.ts`, so stdio never loads them.
 *
 * Versions are pinned inline (no import map: users run main.ts from a URL). The
 * SDK's `./*` export maps `x.js` to types at `x.js.d.ts`, which do not exist, so
 * each re-export names its types with `@ts-types` (the path without `.js`).
 */
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/mcp"
export { McpServer } from "npm:@modelcontextprotocol/sdk@1.32.2/server/mcp.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/stdio"
export { StdioServerTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/server/stdio.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/validation/ajv-provider"
export { AjvJsonSchemaValidator } from "npm:@modelcontextprotocol/sdk@1.32.2/validation/ajv-provider.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/validation/types"
export type { jsonSchemaValidator } from "npm:@modelcontextprotocol/sdk@1.32.2/validation/types.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/shared/transport"
export type { Transport } from "npm:@modelcontextprotocol/sdk@1.32.2/shared/transport.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/shared/protocol"
export type { RequestHandlerExtra } from "npm:@modelcontextprotocol/sdk@1.32.2/shared/protocol.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
export {
  type CallToolResult,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type RequestId,
  type ServerNotification,
  type ServerRequest,
} from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";
export { z } from "npm:zod@4.6.7";
