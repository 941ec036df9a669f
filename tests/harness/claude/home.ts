/**
 * A throwaway home for the real Claude Code client: a temp HOME whose `~/.claude.json`
 * skips onboarding, the API-key prompt and the trust dialog, a project folder, the
 * settings and `.mcp.json` a test asks for, and the environment the client runs in.
 */

import { killAll, pidsWithEnv } from "./procs.ts";
import { currentDenoDir } from "../paths.ts";

export { currentDenoDir };

/** The API key the client sends to the stand-in model (approved in `~/.claude.json`). */
export const API_KEY = "sk-ant-api03-agent-mesh-test-key-0000000000000000000000000000";

/** What a test wants in the home. */
export interface HomeOptions {
  /** Base URL of the stand-in model (`StandInModel.url`). */
  modelUrl: string;
  /** Content of the project's `.mcp.json` (`{"mcpServers": …}`). */
  mcpJson?: unknown;
  /** Content of the project's `.claude/settings.json`. */
  projectSettings?: unknown;
  /** Content of `~/.claude/settings.json`. */
  userSettings?: unknown;
  /** Merged into `~/.claude.json` (e.g. `mcpServers` of user scope). */
  claudeJson?: Record<string, unknown>;
  /** Whether the project folder is trusted (default true; false shows the trust dialog). */
  trusted?: boolean;
  /** Extra environment for the client. */
  env?: Record<string, string>;
}

/** A throwaway client home. Dispose it (`await using`) to remove it. */
export interface ClaudeHome extends AsyncDisposable {
  /** The temp HOME. */
  readonly home: string;
  /** The project folder, the client's working directory (inside `home`). */
  readonly project: string;
  /** The full environment for the client (the only variables it gets). */
  readonly env: Record<string, string>;
  /** Writes `content` (text, or JSON for other values) to `rel` inside the project. */
  writeProjectFile(rel: string, content: unknown, mode?: number): Promise<string>;
  /** Rewrites the project's `.claude/settings.json`. */
  setProjectSettings(settings: unknown): Promise<void>;
  /** Rewrites `~/.claude/settings.json`. */
  setUserSettings(settings: unknown): Promise<void>;
  /** Pids of the running processes started with this HOME (client, hooks, MCP servers). */
  processes(): number[];
}

const asText = (content: unknown) =>
  typeof content === "string" ? content : JSON.stringify(content, null, 2) + "\n";

async function write(path: string, content: unknown, mode?: number): Promise<string> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, asText(content), mode === undefined ? {} : { mode });
  if (mode !== undefined) await Deno.chmod(path, mode);
  return path;
}

/** Creates the home; `project` is `<home>/project`. */
export async function makeHome(options: HomeOptions): Promise<ClaudeHome> {
  // realPath: the client keys `projects` by the resolved cwd (/tmp may be a symlink).
  const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "agent-mesh-claude-" }));
  const project = `${home}/project`;
  await Deno.mkdir(project);
  const claudeJson = {
    hasCompletedOnboarding: true,
    // The key prompt asks about the last 20 characters of the key.
    customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] },
    projects: {
      [project]: {
        hasTrustDialogAccepted: options.trusted ?? true,
        hasCompletedProjectOnboarding: true,
        allowedTools: [],
      },
    },
    ...options.claudeJson,
  };
  await write(`${home}/.claude.json`, claudeJson);
  await Deno.mkdir(`${home}/.claude`);
  if (options.userSettings !== undefined) {
    await write(`${home}/.claude/settings.json`, options.userSettings);
  }
  if (options.projectSettings !== undefined) {
    await write(`${project}/.claude/settings.json`, options.projectSettings);
  }
  if (options.mcpJson !== undefined) await write(`${project}/.mcp.json`, options.mcpJson);

  const env: Record<string, string> = {
    // The client gets only these variables (clearEnv), so that the developer's own
    // ANTHROPIC_*, CLAUDE_CONFIG_DIR or TMUX never leak into a test.
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    TERM: "xterm-256color",
    LANG: "C.UTF-8",
    TMPDIR: `${home}/tmp`,
    ANTHROPIC_BASE_URL: options.modelUrl,
    ANTHROPIC_API_KEY: API_KEY,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    // Else each interactive start tries to git-clone the official plugin marketplace from
    // GitHub into the temp home (network, seconds) despite the line above.
    CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: "1",
    DENO_DIR: currentDenoDir(),
    NO_COLOR: "1",
    ...options.env,
  };
  await Deno.mkdir(env.TMPDIR, { recursive: true });

  return {
    home,
    project,
    env,
    writeProjectFile: (rel, content, mode) => write(`${project}/${rel}`, content, mode),
    setProjectSettings: async (s) => {
      await write(`${project}/.claude/settings.json`, s);
    },
    setUserSettings: async (s) => {
      await write(`${home}/.claude/settings.json`, s);
    },
    processes: () => pidsWithEnv("HOME", home),
    async [Symbol.asyncDispose]() {
      // Hooks and servers may outlive the client (orphans): end whatever runs with this HOME.
      killAll(pidsWithEnv("HOME", home));
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}
