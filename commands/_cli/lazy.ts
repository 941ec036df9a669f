/**
 * Imports a module at run time only. The specifier is built at run time on
 * purpose: Deno loads every statically visible `import("...")` of a module when
 * that module is loaded, so a literal one would make every CLI call read the
 * whole MCP server or every command (some 10 ms). `deno compile` gets these
 * files with `--include` instead (see the `compile` task).
 */

/** `import(path)`, `path` relative to `base` (an `import.meta.url`). */
export function lazyImport<T>(path: string, base: string): Promise<T> {
  return import(new URL(path, base).href);
}
