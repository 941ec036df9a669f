/** The chaos run's Markdown table and the RELIABILITY.md it writes. */
import type { Row } from "./common.ts";

/** The rows as a Markdown table. */
export function table(rows: Row[]): string {
  const lines = [
    "| Scenario | Engine | Sent | Delivered | Lost | Shown twice (unexplained) | Shown twice (kill between show and ack) | Send errors | Kills | Fuzz cases | Failures | Seconds |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const bold = (n: number) => n ? `**${n}**` : "0";
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.engine} | ${r.sent} | ${r.delivered} | ${bold(r.lost)} | ${
        bold(r.twiceUnexplained)
      } | ${r.twiceKill} | ${r.refused} | ${r.kills} | ${r.fuzzCases} | ${
        bold(r.failed)
      } | ${r.seconds} |`,
    );
  }
  return lines.join("\n");
}

function text(cmd: string, args: string[]): string {
  try {
    const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).outputSync();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "unknown";
  }
}

/** The machine the run was made on, in one line. */
export function machine(): string {
  let cpu = "unknown CPU";
  try {
    cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpu;
  } catch { /* not Linux */ }
  const redis = text("redis-server", ["--version"]).match(/v=(\S+)/)?.[1] ?? "none";
  return `${Deno.build.os} ${Deno.osRelease()}, ${cpu}, ${navigator.hardwareConcurrency} cores, ` +
    `${Math.round(Deno.systemMemoryInfo().total / 2 ** 30)} GB; deno ${Deno.version.deno}, ` +
    `redis-server ${redis}`;
}

/** RELIABILITY.md: how to run the suite, what each column means, the latest full run. */
export function reliabilityDoc(
  rows: Row[],
  run: { seed: number; seconds: number; redis: boolean },
): string {
  const failures = rows.flatMap((r) =>
    r.failures.map((f) => `- ${r.scenario} (${r.engine}): ${f}`)
  );
  return `# Reliability

A message sent to an agent is shown to it exactly once, whatever crashes meanwhile. The chaos suite
checks this under kills, freezes and load on both engines, and fuzzes the CLI and the MCP server
with generated bad input. It is not part of \`deno task test\`; \`tests/chaos_quick_test.ts\` runs a
short version of it (\`--quick\`) on every test run and in CI.

## How to run

\`\`\`sh
deno task chaos                                  # every scenario, both engines: about 5 minutes on 2 cores
deno run -A chaos/run.ts --quick                 # a short version (under a minute), writes nothing
deno run -A chaos/run.ts --seed 7 --only redis   # replay one scenario with another seed
\`\`\`

Every random choice (kill moments, fuzz cases) comes from \`--seed\` (default 13), so a failure is
replayed with the seed and scenario it prints. The suite needs \`redis-server\` on the PATH for its
Redis half (skipped loudly otherwise); it starts its own on a free loopback port, with the
append-only file on and fsynced on every write, and uses temporary SQLite files and home folders, so
it touches nothing of yours. Listeners run with \`AGENT_MESH_LEASE_S=1\`, so that a message taken by a
killed listener is handed on quickly. A full run rewrites this file; \`--quick\` and \`--only\` print
their table only. The command exits 1 when anything was lost, shown twice unexplained, or a check
failed.

## Scenarios

- **listeners killed**: 16 sender processes send to one name while its listeners are SIGKILLed at
  seeded moments: right after taking a message (the \`after-take\` fault point), or a monitor after it
  showed 1-3 messages. Plain listeners then drain what is left.
- **serve --http killed**: MCP clients wait in \`mesh_listen\` on a \`serve --http\` that is SIGKILLed
  and restarted at seeded moments while sender processes send.
- **Redis killed and frozen** (Redis only): redis-server is SIGKILLed and restarted (reloading its
  append-only file), or frozen with SIGSTOP and thawed, at seeded moments during sends and listens.
  A send that failed with an error was refused, not lost: only sends that reported success count.
- **slow consumer**: thousands of sends to one monitor whose output is read slowly, with a low
  \`AGENT_MESH_MAX_UNREAD\`: sends past it must be refused with an error, every accepted one shown.
- **CLI fuzzing**: generated argument lists and environment values (unknown flags, bad names,
  huge, empty and control-character texts, bad numbers). Each must exit 0, 1 or 2, print at most one
  line on stderr when it fails and never a stack trace, and a refused one must write nothing (the
  store is compared before and after).
- **MCP fuzzing**: generated JSON-RPC payloads over stdio (bad JSON, wrong types, unknown methods
  and tools, huge strings, duplicate ids). The server must answer every request with a result or an
  error, write nothing for a refused tool call, and still answer a good call at the end.

## Columns

- **Sent**: messages whose send reported success. **Delivered**: how many of those were shown.
- **Lost**: sent with success but never shown. Must be 0.
- **Shown twice (unexplained)**: shown more than once for any other reason than the next column.
  Must be 0.
- **Shown twice (kill between show and ack)**: the documented case: a reader shows a message and is
  killed (or its store goes away) before it acknowledges it, so the message is given out again after
  the lease. Counted when the text was the last thing a killed reader showed, and shown exactly twice.
- **Send errors**: sends that failed with an error (the sender was told; refused at the unread cap,
  or the store was down). Not lost.
- **Kills**: SIGKILLs of listeners, servers or Redis, and Redis freezes.
- **Fuzz cases**: generated inputs tried. **Failures**: cases or checks that broke a rule (listed
  below the table). Must be 0.

## Latest full run

Seed ${run.seed}, ${run.seconds} s${
    run.redis ? "" : ", **without Redis** (redis-server missing)"
  }. Machine: ${machine()}.

${table(rows)}
${failures.length ? `\nFailures:\n\n${failures.join("\n")}\n` : ""}`;
}
