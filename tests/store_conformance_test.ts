/**
 * The storage port's conformance suite: every case runs unchanged against each
 * engine, on a fresh store (own SQLite file, or own key prefix on a shared
 * redis-server) that is removed afterwards.
 */
import { engines } from "./harness/store_engines.ts";
import type { ConformanceCase } from "./conformance/_case.ts";
import { streamCases } from "./conformance/streams.ts";
import { blockingCases } from "./conformance/blocking.ts";
import { groupCases } from "./conformance/groups.ts";
import { stringCases } from "./conformance/strings.ts";
import { keyCases } from "./conformance/keys.ts";
import { processCases } from "./conformance/processes.ts";
import { keepUnreadCases } from "./conformance/keep_unread.ts";

const cases: ConformanceCase[] = [
  ...streamCases,
  ...blockingCases,
  ...groupCases,
  ...stringCases,
  ...keyCases,
  ...processCases,
  ...keepUnreadCases,
];

for (const engine of engines()) {
  for (const c of cases) {
    Deno.test({
      name: `${engine.name}: ${c.name}`,
      ignore: engine.ignore,
      ...engine.testOptions,
      async fn(t) {
        await using h = await engine.open();
        await c.fn(h, t);
      },
    });
  }
}
