/**
 * A Redis ACL user for one agent on a shared Redis (Redis 7 or later: it uses
 * selectors): the agent may take from its own inbox only, append to everyone's,
 * write only its own registry entry and rate counters, and read the rest of
 * what the mesh needs. Key names follow WIRE.md (`lib/mesh/keys.ts`).
 *
 * What the ACL cannot protect: the `from` of an entry is written by whoever
 * appends it, every agent may read and write the group stream and the ping and
 * reply rendezvous streams, and consumer groups are not covered by ACLs.
 */
import { checkName } from "../names.ts";

/** Commands agent-mesh sends on its own keys (with the connection's own commands). */
const OWN_COMMANDS = [
  // the connection (ioredis checks INFO when ready; SELECT for a database number)
  "ping",
  "hello",
  "auth",
  "select",
  "info",
  "client|setname",
  "client|getname",
  "client|id",
  "quit",
  "reset",
  // transactions and the rate gate's script
  "multi",
  "exec",
  "discard",
  "evalsha",
  "eval",
  "script|load",
  "script|exists",
  // who: the names of registry entries and inboxes
  "scan",
  "type",
  "exists",
  // streams
  "xadd",
  "xread",
  "xreadgroup",
  "xack",
  "xautoclaim",
  "xclaim",
  "xgroup|create",
  "xgroup|createconsumer",
  "xgroup|setid",
  "xpending",
  "xinfo|stream",
  "xinfo|groups",
  "xrange",
  "xrevrange",
  "xlen",
  "xtrim",
  "xdel",
  // strings, counters, expiry
  "set",
  "get",
  "mget",
  "del",
  "unlink",
  "expire",
  "pexpire",
  "ttl",
  "pttl",
  "incr",
];

/** A key pattern matching `key` exactly (its glob characters escaped). */
function exact(key: string): string {
  return key.replace(/[\\*?[\]]/g, "\\$&");
}

/** The ACL user name of `name`. */
export function aclUser(name: string): string {
  return `agent-${checkName(name)}`;
}

/**
 * The rules of the ACL user of agent `name` on prefix `prefix`: the root rules
 * (its own keys) and the selectors (what it may do to others' keys).
 */
export function aclRules(name: string, prefix: string): { root: string[]; selectors: string[] } {
  checkName(name);
  const p = exact(prefix);
  const n = exact(name);
  const root = [
    `~${p}:to_${n}`, // its inbox: take, acknowledge, read its history
    `~${p}:group`, // the group stream, read together with the inbox in one command
    `~${p}:registry:${n}`, // its registry entry
    `~${p}:gate:rate:${n}->*`, // its rate counters
    `~${p}:pong:*`, // answering any ping, waiting for its own pongs
    `~${p}:reply:*`, // answering any request, waiting for its own replies
    `~${p}:am:*`, // agent-mesh's own keys
    ...OWN_COMMANDS.map((c) => `+${c}`),
  ];
  const selectors = [
    // Send to anyone: append, after reading the target inbox's unread count (checked
    // against AGENT_MESH_MAX_UNREAD). Its read history is trimmed by its owner only.
    `%RW~${p}:to_* +xadd +xinfo|groups +xlen`,
    `%RW~${p}:gate:audit +xadd +xtrim`, // the rate gate's audit
    // A gated send is one script whose declared keys span the patterns above: one selector
    // must allow the EVAL with all of them; each command inside is checked on its own.
    `%RW~${p}:to_* %RW~${p}:gate:audit %RW~${p}:group %RW~${p}:gate:rate:${n}->* %RW~${p}:am:* +eval +evalsha`,
    `%R~${p}:registry:* +get +mget`, // who is online
  ];
  return { root, selectors };
}

/** A word for redis-cli: double-quoted when it holds a space or a quote or a backslash. */
function cliWord(word: string): string {
  return /[\s"'\\]/.test(word) ? `"${word.replace(/[\\"]/g, "\\$&")}"` : word;
}

/** The `ACL SETUSER` command (one line, for redis-cli) creating or resetting agent `name`'s user. */
export function aclSetUser(name: string, prefix: string, password: string): string {
  const { root, selectors } = aclRules(name, prefix);
  const words = [
    "ACL",
    "SETUSER",
    aclUser(name),
    "reset",
    "on",
    `>${password}`,
    ...root,
    ...selectors.map((s) => `(${s})`),
  ];
  return words.map(cliWord).join(" ");
}

/** A fresh password: 32 random bytes, hex. */
export function freshPassword(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}
