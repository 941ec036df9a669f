/**
 * The agent-mesh MCP server, apart from any transport: one per session. Every
 * session of a process shares the mesh (one store); each gets its own context.
 */
import type { Mesh } from "../lib/mesh/mesh.ts";
import { VERSION } from "../lib/version.ts";
import {
  ALWAYS,
  type Binding,
  type Carrier,
  type ChannelEvent,
  runPresence,
  runWakeups,
} from "./channel.ts";
import { logError, type SessionContext } from "./context.ts";
import { agentInstructions, INSTRUCTIONS } from "./instructions.ts";
import { Outbox } from "./outbox.ts";
import { RequestGuard } from "./requests.ts";
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
  /**
   * The agent the session acts as (`serve --as NAME`, `/mcp?as=NAME`): tools send
   * as it, and its direct messages are pushed to the client as channel events.
   */
  bind?: Binding;
  /** What carries those events (default: the transport, always able to send). */
  carrier?: Carrier;
  /** Let a bound session read other agents' history and pending ledger (`serve --allow-views`). */
  allowViews?: boolean;
}

/** One session's server. */
export interface MeshServer {
  server: McpServer;
  /** The session's context, as the tools see it. */
  session: SessionContext;
  /** Its requests in flight (the HTTP front reserves the ids of a POST with it). */
  requests: RequestGuard;
  /** Connects the server to `transport` (use instead of `server.connect`). */
  connect(transport: Transport): Promise<void>;
  /** Ends the session: aborts its waits and closes the server. Safe to call twice. */
  cleanup(): Promise<void>;
}

/**
 * The SDK gives every server its own Ajv instance, used only to check elicitation
 * answers, which agent-mesh never asks for: all sessions share one, made on first
 * use, to keep idle sessions small.
 */
let ajv: AjvJsonSchemaValidator | undefined;
const sharedValidator: jsonSchemaValidator = {
  getValidator: (schema) => (ajv ??= new AjvJsonSchemaValidator()).getValidator(schema),
};

/** Resolves true when `p` settles fulfilled before `signal` aborts, else false. */
function before(p: Promise<unknown>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(() => resolve(true), () => resolve(false))
      .finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Creates the server of one session. */
export function createServer(options: ServerOptions): MeshServer {
  const closing = new AbortController();
  const outbox = new Outbox();
  const requests = new RequestGuard();
  const bind = options.bind;
  const session: SessionContext = {
    mesh: options.mesh,
    agent: bind?.agent,
    allowViews: options.allowViews === true,
    signal: closing.signal,
    sent: (id, signal) => outbox.sent(id, signal),
  };
  const channels = bind?.channels === true;
  const server = new McpServer(
    { name: "agent-mesh", title: "agent-mesh", version: VERSION },
    {
      capabilities: channels
        ? { tools: {}, experimental: { "claude/channel": {} } }
        : { tools: {} },
      instructions: bind ? agentInstructions(bind) : INSTRUCTIONS,
      jsonSchemaValidator: sharedValidator,
    },
  );
  registerTools(server, session);
  const background: Promise<void>[] = [];
  if (bind && channels) {
    // Events may flow only once the client has finished initializing.
    server.server.oninitialized = () => {
      if (closing.signal.aborted || background.length > 0) return;
      background.push(
        runWakeups({
          ...bind,
          mesh: options.mesh,
          signal: closing.signal,
          carrier: options.carrier ?? ALWAYS,
          // Resolves once the transport wrote it (stdio: to stdout), or false when closing first.
          push: (event: ChannelEvent) => before(server.server.notification(event), closing.signal),
        }).catch((err) => logError(`the wake-ups of ${bind.agent}`, err)),
      );
    };
  }
  // A session that calls a tool is a conversation (a health check only lists
  // tools): from then on its agent is registered, and deregistered at its end.
  let present: Promise<void> | undefined;
  const used = () => {
    if (!bind || present || closing.signal.aborted) return;
    present = runPresence({
      mesh: options.mesh,
      agent: bind.agent,
      role: bind.role,
      signal: closing.signal,
    }).catch((err) => logError(`the presence of ${bind.agent}`, err));
  };
  let closed = false;
  let cleaning = Promise.resolve();
  return {
    server,
    session,
    requests,
    async connect(transport) {
      requests.onRequest = (method) => {
        if (method === "tools/call") used();
      };
      requests.attach(transport);
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
          await Promise.all(background);
          await present; // deregisters the agent
          await server.close().catch(() => {});
        })();
      }
      return cleaning;
    },
  };
}
