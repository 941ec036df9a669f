/**
 * The Stop hook's waiter never goes to sleep with a message waiting for it. A
 * message that lands just after the waiter looked and found nothing must wake it:
 * the waiter takes its place in the inbox before it looks, never after. The
 * store is real; a wrapper around it sends the message at the worst moment (as
 * the waiter asks where the inbox ends) and notes whether the waiter then blocks
 * with the message untaken.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../lib/config.ts";
import { waitForMessage } from "../lib/hooks/waiter.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import type { Store } from "../lib/store/port.ts";
import { engines } from "./harness/store_engines.ts";

for (const engine of engines()) {
  Deno.test({
    name: `${engine.name}: a message landing as the waiter finds the inbox empty wakes it`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using opened = await engine.open();
      const home = await Deno.makeTempDir();
      // A lease far longer than any test: a waiter asleep past the message would
      // sleep for the lease, so the wrapper stops it instead and the test says why.
      const config = loadConfig((k) =>
        ({ AGENT_MESH_HOME: home, ...opened.env, AGENT_MESH_LEASE_S: "3600" })[k]
      );
      const sender = new Mesh(opened.store, config);
      const stop = new AbortController();
      let sent = false;
      let written = "";
      let sleptPastIt = false;
      const inbox = sender.keys.inbox("alice");
      const store = new Proxy(opened.store, {
        get(target, prop) {
          if (prop === "revRange") {
            return async (stream: string, count: number) => {
              if (stream === inbox && !sent) {
                sent = true;
                await sender.send({ from: "bob", to: "alice", text: "just in time" });
              }
              return await target.revRange(stream, count);
            };
          }
          if (prop === "read") {
            return (...args: Parameters<Store["read"]>) => {
              if (sent && !written) {
                sleptPastIt = true;
                stop.abort();
              }
              return target.read(...args);
            };
          }
          const value = Reflect.get(target, prop, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const waiter = new Mesh(store, config);
      const outcome = await waitForMessage(waiter, "alice", {
        path: join(config.home, "waiter-alice-test"),
        reader: { kind: "hook", session: "s1" },
        signal: stop.signal,
        write: (text) => {
          written += text;
          return Promise.resolve();
        },
      });
      await Deno.remove(home, { recursive: true });
      assert.equal(sleptPastIt, false, "the waiter blocked with a message waiting for it");
      assert.equal(outcome.kind, "woken");
      assert.match(written, /just in time/);
      assert.equal(sent, true, "the wrapper sent the message");
    },
  });
}
