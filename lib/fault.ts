/**
 * Fault injection for crash tests. With `AGENT_MESH_FAULT=<point>` set, the
 * process announces `agent-mesh fault: <point>` on stderr when it reaches that
 * point and then hangs, so that a test can SIGKILL it at exactly that moment.
 * Unset (always, for users), a fault point costs one lookup.
 */
let armed: string | undefined | null = null;

/** Hangs here when this point is armed. */
export async function faultPoint(point: string): Promise<void> {
  if (armed === null) {
    try {
      armed = Deno.env.get("AGENT_MESH_FAULT");
    } catch {
      armed = undefined;
    }
  }
  if (armed !== point) return;
  console.error(`agent-mesh fault: ${point}`);
  await new Promise(() => setInterval(() => {}, 60_000));
}
