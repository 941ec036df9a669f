/**
 * Drives the real Claude Code client in tests: a stand-in model on loopback, a throwaway
 * client home, one-shot and tmux sessions, and the skip rule. See README.md here.
 */
export * from "./model.ts";
export * from "./home.ts";
export * from "./session.ts";
export * from "./tmux.ts";
export * from "./skip.ts";
export * from "./procs.ts";
export * from "./wait.ts";
