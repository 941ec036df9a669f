/**
 * Issue 13 point 9: the SQLite file deleted (or replaced) under running processes.
 * A running sender's next send fails with one line naming the file, instead of
 * writing to a deleted file that no one reads; a running monitor exits 1 instead
 * of waiting on it forever.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { StoreError } from "../lib/errors.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { openMesh } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";
import { withDeadline } from "./harness/timing.ts";

const embedded = engines().find((e) => e.name === "embedded")!;
/** Bounds the monitor's exit: it notices within its 1-8 s check or its 10 s housekeeping. */
const EXIT_WITHIN_MS = 30_000;

for (const how of ["deleted", "replaced"] as const) {
  Deno.test(`the SQLite file ${how} under a running monitor and sender fails loudly`, async () => {
    await using m = await openMesh(embedded);
    const path = m.env.AGENT_MESH_DB;
    // The running sender: a store opened in this process, as an MCP server keeps one.
    const sender = new Mesh(m.opened.store, loadConfig((k) => m.env[k]));
    const mon = m.spawn(["monitor", "bob"]);
    await mon.waitFor(/^monitoring bob/);
    await sender.send({ from: "alice", to: "bob", text: "before" });
    await mon.waitFor(/before/);
    // Answered once the monitor is back in its wait, "before" acknowledged.
    assert.equal((await m.cli("ping", "bob", "--timeout", "10")).code, 0);

    await Deno.remove(path);
    if (how === "replaced") {
      // As `rm mesh.db*`: then a new CLI process creates a new file at the same path.
      for (const f of [`${path}-wal`, `${path}-shm`]) await Deno.remove(f).catch(() => {});
      const r = await m.cli("send", "carol", "new file", "--from", "alice");
      assert.equal(r.code, 0, r.stderr);
    }
    const word = how === "deleted" ? "was deleted" : "was replaced by another file";
    await assert.rejects(
      () => sender.send({ from: "alice", to: "bob", text: "after" }),
      (err: Error) =>
        err instanceof StoreError &&
        err.message ===
          `The embedded store "${path}" ${word} while in use: start this command again`,
    );
    const done = await withDeadline(mon.done(), EXIT_WITHIN_MS, "the monitor's exit");
    assert.equal(done.code, 1, done.stderr);
    assert.equal(
      done.stderr.split("\n").filter((l) => l.startsWith("agent-mesh:")).at(-1),
      `agent-mesh: The embedded store "${path}" ${word} while in use: start this command again`,
    );
    assert.doesNotMatch(done.stdout, /after/);
  });
}
