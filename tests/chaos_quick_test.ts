/**
 * Keeps the chaos suite alive and its rule enforced in CI: `chaos/run.ts --quick`
 * (every scenario, briefly) must lose nothing, show nothing twice unexplained and
 * pass every fuzz case. Where redis-server is missing, the suite skips its Redis
 * half loudly (and this test checks that it did); AGENT_MESH_REQUIRE_REDIS=1
 * makes that an error instead.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { skipRedis } from "./harness/redis_server.ts";

const RUN = fileURLToPath(new URL("../chaos/run.ts", import.meta.url));

interface Totals {
  rows: number;
  sent: number;
  lost: number;
  twiceUnexplained: number;
  twiceKill: number;
  fuzzCases: number;
  failed: number;
  redis: boolean;
}

Deno.test({
  name: "chaos --quick: 0 lost, 0 shown twice unexplained, 0 fuzz failures on both engines",
  async fn() {
    const withoutRedis = skipRedis();
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", RUN, "--quick"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    const stderr = new TextDecoder().decode(run.stderr);
    const line = stdout.split("\n").find((l) => l.startsWith("chaos totals: "));
    assert.ok(line, `no totals line; stdout: ${stdout}; stderr: ${stderr}`);
    const totals: Totals = JSON.parse(line.slice("chaos totals: ".length));
    const why = `\n${stdout}\n${stderr.split("\n").filter((l) => /FAILED/.test(l)).join("\n")}`;
    assert.equal(totals.lost, 0, `lost${why}`);
    assert.equal(totals.twiceUnexplained, 0, `shown twice unexplained${why}`);
    assert.equal(totals.failed, 0, `failures${why}`);
    assert.equal(run.code, 0, `exit code${why}`);
    assert.equal(
      totals.redis,
      !withoutRedis,
      "the Redis half ran exactly when redis-server exists",
    );
    // Every scenario produced its row: 5 on the embedded engine, 6 with Redis.
    assert.equal(totals.rows, withoutRedis ? 5 : 11, `rows${why}`);
    assert.ok(totals.sent > 0, "messages were sent");
    assert.ok(totals.fuzzCases >= 200, `fuzz cases: ${totals.fuzzCases}`);
    if (withoutRedis) assert.match(stderr, /SKIPPING the Redis half/);
  },
});
