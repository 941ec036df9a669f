/** The pieces of lib/setup that `setup` uses, loaded only when it runs. */
export {
  LAUNCH_COMMAND,
  MIN_CLAUDE_CODE,
  planClaudeCode,
  type Scope,
} from "../../lib/setup/claude_code.ts";
export { httpUrl } from "../../lib/setup/mcp_json.ts";
export { statusOf, writeChange } from "../../lib/setup/files.ts";
export { unifiedDiff } from "../../lib/setup/diff.ts";
export { aclSetUser, aclUser, freshPassword } from "../../lib/setup/redis_acl.ts";
