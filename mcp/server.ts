/**
 * The agent-mesh MCP server, apart from any transport: one per session. Every
 * session of a process shares the mesh (one store); each gets its own context.
 */
import type { Mesh } from "../lib/mesh/mesh.ts";
import { VERSION } from "../lib/version.ts";
import type { SessionContext } from "./context.ts";
import { Outbox } from "./outbox.ts";
import {
  AjvJsonSchemaValidator,
  type jsonSchemaValidator,
  McpServer,
  type Transport,
} from "./sdk.ts";
import { registerTools } from "./tools/index.ts";

/** What a session is created with. */
export interface ServerOptions {
  mesh: Mesh;
  /** The agent the session acts as (`serve --as NAME`, to come); tools default to it. */
  agent?: string;
}

/** One session's server. */
export interface MeshServer {
  server: McpServer;
  /** The session's context, as the tools see it. */
  session: SessionContext;
  /** Connects the server to `transport` (use instead of `server.connect`). */
  connect(transport: Transport): Promise<void>;
  /** Ends the session: aborts its waits and closes the server. Safe to call twice. */
  cleanup(): Promise<void>;
}

const INSTRUCTIONS =
  `agent-mesh lets agents message each other. Pick a unique agent name and register it with mesh_register. ` +
  `Wait for direct messages with mesh_listen (nothing sent to you is lost while you are not listening). ` +
  `A message with a reply_to key is a request: answer it with mesh_reply. ` +
  `Send with mesh_send, ask and wait for an answer with mesh_request, see who is online with mesh_who.`;

/**
 * The SDK gives every server its own Ajv instance, used only to check elicitation
 * answers, which agent-mesh never asks for: all sessions share one, made on first
 * use, to keep idle sessions small.
 */
let ajv: AjvJsonSchemaValidator | undefined;
const sharedValidator: jsonSchemaValidator = {
  getValidator: (schema) => (ajv ??= new AjvJsonSchemaValidator()).getValidator(schema),
};

/** Creates the server of one session. */
export function createServer(options: ServerOptions): MeshServer {
  const closing = new AbortController();
  const outbox = new Outbox();
  const session: SessionContext = {
    mesh: options.mesh,
    agent: options.agent,
    signal: closing.signal,
    sent: (id, signal) => outbox.sent(id, signal),
  };
  const server = new McpServer(
    { name: "agent-mesh", title: "agent-mesh", version: VERSION },
    {
      capabilities: { tools: {} },
      instructions: INSTRUCTIONS,
      jsonSchemaValidator: sharedValidator,
    },
  );
  registerTools(server, session);
  let closed = false;
  let cleaning = Promise.resolve();
  return {
    server,
    session,
    async connect(transport) {
      outbox.attach(transport);
      await server.connect(transport);
    },
    cleanup() {
      // Closing the server closes the transport, whose onclose calls cleanup again.
      if (!closed) {
        closed = true;
        cleaning = (async () => {
          closing.abort();
          outbox.close();
          await server.close().catch(() => {});
        })();
      }
      return cleaning;
    },
  };
}
