/** The MCP SDK's HTTP transports, pinned; loaded only by `serve --http` (see ../sdk.ts). */
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/webStandardStreamableHttp"
export { WebStandardStreamableHTTPServerTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/server/webStandardStreamableHttp.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/sse"
export { SSEServerTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/server/sse.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/requestBody"
export { readRequestBody } from "npm:@modelcontextprotocol/sdk@1.32.2/server/requestBody.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
export { isInitializeRequest } from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";
