/**
 * Key names of the original tool's Redis layout (WIRE.md), built from the prefix.
 * Both engines use the same names, so the layout is one thing to keep right.
 */

/** Length of a ping/request nonce: 32 lowercase hex characters. */
const NONCE_RE = "[0-9a-f]{32}";

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The keys of one mesh (one prefix). */
export class Keys {
  readonly group: string;
  readonly audit: string;
  readonly registryPrefix: string;
  readonly inboxPrefix: string;
  readonly #replyRe: RegExp;

  constructor(readonly prefix: string) {
    this.group = `${prefix}:group`;
    this.audit = `${prefix}:gate:audit`;
    this.registryPrefix = `${prefix}:registry:`;
    this.inboxPrefix = `${prefix}:to_`;
    this.#replyRe = new RegExp(`^${escapeRe(prefix)}:reply:${NONCE_RE}$`);
  }

  /** The private stream of agent `name`. */
  inbox(name: string): string {
    return `${this.inboxPrefix}${name}`;
  }
  /** The ping/pong rendezvous stream of `nonce`. */
  pong(nonce: string): string {
    return `${this.prefix}:pong:${nonce}`;
  }
  /** The request/reply rendezvous stream of `nonce`. */
  reply(nonce: string): string {
    return `${this.prefix}:reply:${nonce}`;
  }
  /** The registry entry of `name`. */
  registry(name: string): string {
    return `${this.registryPrefix}${name}`;
  }
  /** The rate-gate counter of sender→target. */
  rate(sender: string, target: string): string {
    return `${this.prefix}:gate:rate:${sender}->${target}`;
  }
  /** True when `key` is a reply rendezvous key of this prefix (and nothing else). */
  isReplyKey(key: string): boolean {
    return this.#replyRe.test(key);
  }
  /** The consumer group through which agent `name` takes its entries. */
  consumerGroup(name: string): string {
    return `agent-mesh:${name}`;
  }
}

/** A fresh nonce: 32 lowercase hex characters. */
export function newNonce(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/** Unix time in seconds as a decimal string, as the original writes `ts`. */
export function nowTs(now = Date.now()): string {
  return String(now / 1000);
}
