import { fileURLToPath } from "node:url";

/** A file: URL as a local path. */
export function fromFileUrl(url: URL): string {
  return fileURLToPath(url);
}

let denoDir: string | undefined;

/**
 * The DENO_DIR of the running deno, so that subprocesses with another HOME (hooks,
 * servers, setup in a throwaway home) reuse its cache and start warm.
 */
export function currentDenoDir(): string {
  if (denoDir) return denoDir;
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return denoDir = fromEnv;
  const out = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return denoDir = JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}
