/**
 * Per-agent tokens: the credential `serve --http` asks of a session that claims
 * to be an agent. A token is shown once when created; only its SHA-256 is kept,
 * in `agent-tokens.json` in the agent-mesh home (mode 0600, replaced atomically).
 */
import { Buffer } from "node:buffer";
import { createHash, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { MeshError } from "./errors.ts";
import { checkName } from "./names.ts";
import { ensureHome } from "./paths.ts";

/** The file of the token hashes, in the agent-mesh home. */
export const TOKENS_FILE = "agent-tokens.json";

/** What is kept of one agent's token. */
export interface TokenRecord {
  /** SHA-256 of the token, hex. */
  sha256: string;
  /** When it was created, Unix seconds. */
  created: number;
}

/** Path of the token file in `home`. */
export function tokensPath(home: string): string {
  return join(home, TOKENS_FILE);
}

/** SHA-256 of `token`. */
function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** A fresh token: "amt_" and 32 random bytes in base64url. */
function freshToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `amt_${
    btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
      .replace(/=+$/, "")
  }`;
}

function parse(text: string, path: string): Map<string, TokenRecord> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new MeshError(
      `Cannot read ${path}: not valid JSON (remove it and create the tokens again)`,
    );
  }
  const tokens = (doc as { tokens?: unknown })?.tokens;
  if (typeof tokens !== "object" || tokens === null) {
    throw new MeshError(`Cannot read ${path}: no "tokens" object`);
  }
  const out = new Map<string, TokenRecord>();
  for (const [name, rec] of Object.entries(tokens)) {
    const r = rec as Partial<TokenRecord>;
    if (typeof r?.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(r.sha256)) {
      throw new MeshError(`Cannot read ${path}: the entry of "${name}" has no valid sha256`);
    }
    out.set(name, { sha256: r.sha256, created: Number(r.created) || 0 });
  }
  return out;
}

/** Refuses a token file that others could write (they could add a token of their own). */
function checkMode(path: string, info: Deno.FileInfo): void {
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    throw new MeshError(
      `Refusing ${path}: other users can write it (run chmod 600 "${path}")`,
    );
  }
}

/** The tokens kept in `home` (none when there is no file). */
export async function readTokens(home: string): Promise<Map<string, TokenRecord>> {
  const path = tokensPath(home);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return new Map();
    throw new MeshError(`Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  checkMode(path, info);
  return parse(await Deno.readTextFile(path), path);
}

async function writeTokens(home: string, tokens: Map<string, TokenRecord>): Promise<void> {
  ensureHome(home);
  const path = tokensPath(home);
  const doc = {
    "agent-mesh": "agent tokens (SHA-256 of each)",
    tokens: Object.fromEntries(tokens),
  };
  const temp = join(home, `.${TOKENS_FILE}.${crypto.randomUUID()}.tmp`);
  try {
    await Deno.writeTextFile(temp, JSON.stringify(doc, null, 2) + "\n", {
      mode: 0o600,
      createNew: true,
    });
    if (Deno.build.os !== "windows") await Deno.chmod(temp, 0o600); // whatever the umask
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw new MeshError(`Cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Creates a token for `name` and returns it (the only time it is seen); refuses when one exists. */
export async function createToken(home: string, name: string): Promise<string> {
  checkName(name);
  const tokens = await readTokens(home);
  if (tokens.has(name)) {
    throw new MeshError(
      `Agent "${name}" already has a token: revoke it first (agent-mesh token revoke ${name})`,
    );
  }
  const token = freshToken();
  tokens.set(name, { sha256: digest(token).toString("hex"), created: Date.now() / 1000 });
  await writeTokens(home, tokens);
  return token;
}

/** Removes `name`'s token; false when it had none. */
export async function revokeToken(home: string, name: string): Promise<boolean> {
  checkName(name);
  const tokens = await readTokens(home);
  if (!tokens.delete(name)) return false;
  await writeTokens(home, tokens);
  return true;
}

/**
 * The tokens of `home` as a server checks them: the file is read again when it
 * changes, so `token create` and `token revoke` apply to a running server.
 */
export class AgentTokens {
  readonly #path: string;
  #seen = "";
  #tokens = new Map<string, Buffer>();
  #broken = false;

  constructor(home: string, private readonly log: (line: string) => void = console.error) {
    this.#path = tokensPath(home);
  }

  /** Reloads the file when it changed. A file that cannot be used lets no token in. */
  #refresh(): void {
    let info: Deno.FileInfo | null = null;
    let seen = "none";
    try {
      info = Deno.statSync(this.#path);
      seen = `${info.ino}:${info.size}:${info.mtime?.getTime()}:${info.mode}`;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) seen = `error: ${(err as Error).message}`;
    }
    if (seen === this.#seen) return;
    this.#seen = seen;
    this.#broken = false;
    this.#tokens = new Map();
    if (!info) {
      // No file: tokens are off. A file that cannot be looked at: none gets in.
      this.#broken = seen !== "none";
      if (this.#broken) this.log(`agent-mesh: agent tokens refused: cannot read ${this.#path}`);
      return;
    }
    try {
      checkMode(this.#path, info);
      const records = parse(Deno.readTextFileSync(this.#path), this.#path);
      for (const [name, r] of records) this.#tokens.set(name, Buffer.from(r.sha256, "hex"));
    } catch (err) {
      this.#broken = true;
      this.log(`agent-mesh: agent tokens refused: ${(err as Error).message}`);
    }
  }

  /** True when agent tokens are on: at least one exists (or the file is unusable). */
  on(): boolean {
    this.#refresh();
    return this.#broken || this.#tokens.size > 0;
  }

  /** True when `name` has a token. */
  has(name: string): boolean {
    this.#refresh();
    return this.#tokens.has(name);
  }

  /** True when `token` is `name`'s token; compared in constant time. */
  verify(name: string, token: string | undefined): boolean {
    this.#refresh();
    const want = this.#tokens.get(name);
    // Digest whatever was given, so that time does not tell whether the name has a token.
    const got = digest(token ?? "");
    const same = timingSafeEqual(want ?? Buffer.alloc(32), got);
    return want !== undefined && token !== undefined && same;
  }
}
