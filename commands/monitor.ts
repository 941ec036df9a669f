import { parse } from "./_args.ts";
import { interruptSignal, withMesh } from "./_mesh.ts";
import { directLines, groupLine } from "./_show.ts";
import { appendNotify, housekeeping, nextDirect } from "../lib/mesh/listen.ts";
import { deregister } from "../lib/mesh/presence.ts";
import { checkName } from "../lib/names.ts";
import { loadConfig } from "../lib/config.ts";
import { agentFile, ensureHome } from "../lib/paths.ts";

/** How often the monitor renews its registration and checks its ledger, in ms. */
const HOUSEKEEPING_MS = 10_000;

/** `agent-mesh monitor NAME [--stealth]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [name] } = parse("monitor", argv, {
    stealth: { type: "boolean" },
  }, ["NAME"]);
  checkName(name);
  const quiet = values.stealth === true;
  const config = loadConfig();
  ensureHome(config.home);
  // One monitor per name per host: the OS releases this lock when the process dies.
  using lockFile = await Deno.open(agentFile(config.home, "monitorLock", name), {
    create: true,
    write: true,
  });
  if (!(await lockFile.tryLock(true))) {
    console.log(`monitor already running for ${name}`);
    return 0;
  }
  await lockFile.truncate(0);
  await lockFile.write(new TextEncoder().encode(`${Deno.pid}\n`));
  const interrupt = interruptSignal();
  try {
    await withMesh(async (mesh) => {
      await housekeeping(mesh, name, true);
      if (!quiet) {
        console.error(`monitoring ${name} on the ${mesh.store.engine} engine (Ctrl-C stops)`);
      }
      let last = Date.now();
      while (!interrupt.signal.aborted) {
        const delivery = await nextDirect(mesh, name, {
          timeoutMs: Math.max(HOUSEKEEPING_MS - (Date.now() - last), 0),
          withGroup: true,
          signal: interrupt.signal,
          reader: { kind: "monitor" },
          onGroup: (m) => {
            if (!quiet) console.log(groupLine(m));
          },
        });
        if (delivery) {
          if (!quiet) console.log(directLines(delivery.message, name));
          await appendNotify(mesh, name, delivery.message);
          await delivery.ack();
        }
        if (Date.now() - last >= HOUSEKEEPING_MS && !interrupt.signal.aborted) {
          await housekeeping(mesh, name, true);
          last = Date.now();
        }
      }
      await deregister(mesh, name);
    });
  } finally {
    interrupt.dispose();
    await lockFile.unlock().catch(() => {});
  }
  return 0;
}
