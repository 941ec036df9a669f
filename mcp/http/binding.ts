/**
 * The agent an HTTP session acts as, named when the session opens:
 * `/mcp?as=NAME` (what `setup claude-code --http` writes) or an `X-Agent-Name`
 * header, with optional `role=TEXT` and `group=1` in the query.
 */
import { UsageError } from "../../lib/errors.ts";
import { switchWord } from "../../lib/config.ts";
import { checkName, checkRole } from "../../lib/names.ts";
import type { Binding } from "../channel.ts";

/** The binding requested by `req`, or undefined for an anonymous session; bad values throw UsageError. */
export function requestBinding(req: Request, url: URL): Binding | undefined {
  const query = url.searchParams.get("as");
  const header = req.headers.get("x-agent-name");
  const role = url.searchParams.get("role") ?? undefined;
  const group = url.searchParams.get("group");
  const channels = url.searchParams.get("channels");
  if (query === null && header === null) {
    if (role !== undefined || group !== null || channels !== null) {
      throw new UsageError("role, channels and group go with as=NAME (or an X-Agent-Name header)");
    }
    return undefined;
  }
  if (query !== null && header !== null && query !== header) {
    throw new UsageError(
      `Conflicting agent names: as=${JSON.stringify(query)} and X-Agent-Name ${
        JSON.stringify(header)
      }`,
    );
  }
  const agent = checkName(query ?? header, query !== null ? "as= agent name" : "X-Agent-Name");
  if (role !== undefined) checkRole(role);
  return { agent, role, channels: flag(channels, "channels"), group: flag(group, "group") };
}

/** A switch of the query: absent is off, present without a value (`?group`) is on. */
function flag(raw: string | null, what: string): boolean {
  if (raw === null) return false;
  const on = raw === "" ? true : switchWord(raw);
  if (on === undefined) {
    throw new UsageError(`Invalid ${what}=${JSON.stringify(raw)}: expected 1 or 0`);
  }
  return on;
}
