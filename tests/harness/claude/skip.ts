/**
 * Whether the real Claude Code client can be driven here: `claude` and `tmux` installed.
 * Where one is missing, the tests skip and say so loudly once, unless
 * AGENT_MESH_REQUIRE_CLAUDE=1: then it is an error.
 */

/** The client version the harness and its measured facts were made with. */
export const PINNED_CLAUDE = "2.1.197";

let checked: { missing: string | null; version: string | null } | null = null;
let warned = false;

function run(cmd: string, args: string[]): string | null {
  try {
    const out = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "null" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** The installed client's version (`2.1.197`), or null when `claude` is missing. */
export function claudeVersion(): string | null {
  return check().version;
}

function check() {
  if (checked) return checked;
  const out = run("claude", ["--version"]);
  const version = out?.match(/\d+\.\d+\.\d+/)?.[0] ?? null;
  let missing: string | null = null;
  if (!version) {
    missing = `claude is not installed (npm install -g @anthropic-ai/claude-code@${PINNED_CLAUDE})`;
  } else if (run("tmux", ["-V"]) === null) {
    missing = "tmux is not installed (apt-get install -y tmux, or brew install tmux)";
  }
  return checked = { missing, version };
}

/** Why Claude Code tests cannot run here, or null when `claude` and `tmux` are available. */
export function claudeMissing(): string | null {
  return check().missing;
}

/** True when the Claude Code tests must run (CI). */
export function claudeRequired(): boolean {
  return Deno.env.get("AGENT_MESH_REQUIRE_CLAUDE") === "1";
}

/**
 * Whether to skip the Claude Code tests; warns loudly once (also when the installed client
 * is not the pinned one), and throws when the client is required but missing.
 */
export function skipClaude(): boolean {
  const { missing, version } = check();
  if (missing && claudeRequired()) throw new Error(`AGENT_MESH_REQUIRE_CLAUDE=1 but ${missing}`);
  if (!warned) {
    warned = true;
    if (missing) console.error(`\n!!! SKIPPING the Claude Code tests: ${missing}\n`);
    else if (version !== PINNED_CLAUDE) {
      console.error(
        `\n!!! Claude Code is ${version}, the tests were written against ${PINNED_CLAUDE}: ` +
          `a failure may be a change of the client (npm install -g @anthropic-ai/claude-code@${PINNED_CLAUDE})\n`,
      );
    }
  }
  return missing !== null;
}
