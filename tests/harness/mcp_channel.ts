/**
 * The Claude Code channel events an SDK client receives
 * (`notifications/claude/channel`), collected in order, with bounded waits.
 */
import assert from "node:assert/strict";
import { runCli } from "./cli.ts";
import type { Client } from "./mcp_sdk.ts";

/** One channel event as the client received it. */
export interface ChannelEvent {
  content: string;
  meta: Record<string, string>;
}

/** Every channel event of one client, from its connection on. Attach before connecting. */
export class ChannelEvents {
  /** The events so far, oldest first. */
  readonly events: ChannelEvent[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(client: Client) {
    client.fallbackNotificationHandler = (n) => {
      if (n.method === "notifications/claude/channel") {
        this.events.push(n.params as unknown as ChannelEvent);
        for (const wake of [...this.#waiters]) wake();
      }
      return Promise.resolve();
    };
  }

  /** Resolves with the first `count` events once they arrived; rejects after `ms`. */
  until(count: number, ms = 20_000): Promise<ChannelEvent[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.events.length < count) return;
        done();
        resolve(this.events.slice(0, count));
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${this.events.length} channel events within ${ms} ms, expected ${count}: ${
              JSON.stringify(this.events)
            }`,
          ),
        );
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** The events whose content is `text`. */
  withContent(text: string): ChannelEvent[] {
    return this.events.filter((e) => e.content === text);
  }
}

/** The registered agents as [name, role] pairs, through `agent-mesh who --json`. */
export async function whoRoles(env: Record<string, string>): Promise<string[][]> {
  const r = await runCli(env, ["who", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).agents.map((a: { agent: string; role: string }) => [
    a.agent,
    a.role,
  ]);
}

/** A raw JSON-RPC initialize request, for tests that speak HTTP without the SDK. */
export const RAW_INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "raw", version: "0" },
  },
};
