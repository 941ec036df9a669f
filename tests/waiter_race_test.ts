/**
 * The Stop hook's waiter at its two worst moments, on a real store wrapped to act
 * then. (1) It never blocks with a message waiting for it: a message landing just
 * after the waiter looked and found nothing must wake it, so the waiter takes its
 * place in the inbox before it looks, never after; the wrapper sends the message
 * as the waiter asks where the inbox ends and notes whether it then blocks with
 * the message untaken. (2) A waiter whose session ends after its loop's check and
 * before it takes leaves the message for the next session, at once rather than
 * after the lease: it checks again just before each take.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gatherMessages } from "../lib/hooks/context.ts";
import { waitForMessage } from "../lib/hooks/waiter.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { onEngines, wrapped } from "./harness/in_process.ts";

// A lease far longer than any test: a waiter blocked past the message would wait
// for the lease, so the wrapper stops it instead and the test says why.
onEngines(
  "a message landing as the waiter finds the inbox empty wakes it",
  { AGENT_MESH_LEASE_S: "3600" },
  async (opened, config, sender) => {
    const stop = new AbortController();
    let sent = false;
    let written = "";
    let sleptPastIt = false;
    const inbox = sender.keys.inbox("alice");
    const store = wrapped(opened.store, {
      async revRange(stream, count) {
        if (stream === inbox && !sent) {
          sent = true;
          await sender.send({ from: "bob", to: "alice", text: "just in time" });
        }
        return await opened.store.revRange(stream, count);
      },
      read(...args) {
        if (sent && !written) {
          sleptPastIt = true;
          stop.abort();
        }
        return opened.store.read(...args);
      },
    });
    const outcome = await waitForMessage(new Mesh(store, config), "alice", {
      path: join(config.home, "waiter-alice-test"),
      reader: { kind: "hook", session: "s1" },
      signal: stop.signal,
      write: (text) => {
        written += text;
        return Promise.resolve();
      },
    });
    assert.equal(sleptPastIt, false, "the waiter blocked with a message waiting for it");
    assert.equal(outcome.kind, "woken");
    assert.match(written, /just in time/);
    assert.equal(sent, true, "the wrapper sent the message");
  },
);

onEngines(
  "a waiter whose session goes just before it takes leaves the message",
  {},
  async (opened, config, sender) => {
    await sender.send({ from: "bob", to: "alice", text: "for the next session" });
    // The session ends (here: the hook is interrupted) after the waiter's loop
    // checked it and before the take: as the waiter readies alice's group.
    const stop = new AbortController();
    const store = wrapped(opened.store, {
      ensureGroup(...args) {
        stop.abort();
        return opened.store.ensureGroup(...args);
      },
    });
    const outcome = await waitForMessage(new Mesh(store, config), "alice", {
      path: join(config.home, "waiter-alice-test"),
      reader: { kind: "hook", session: "s1" },
      signal: stop.signal,
      write: () => Promise.reject(new Error("nothing may be written")),
    });
    assert.equal(outcome.kind, "interrupted");
    // The next reader gets it at once, not after the lease.
    const lines: string[] = [];
    const next = await gatherMessages(sender, "alice", lines, { kind: "hook", session: "s2" });
    assert.deepEqual(next.map((d) => d.message.text), ["for the next session"]);
  },
);
