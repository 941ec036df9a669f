/**
 * In-process tests on real stores: a test run on each engine with a fresh store,
 * a private home and a Mesh, and a store wrapper that acts at a chosen call (to
 * place an event at the worst moment, where no process could be timed to).
 */
import { type Config, loadConfig } from "../../lib/config.ts";
import { Mesh } from "../../lib/mesh/mesh.ts";
import type { Store } from "../../lib/store/port.ts";
import { engines, type OpenedStore } from "./store_engines.ts";

/** `fn` on each engine, with a fresh store, a home and a sending Mesh; `env` adds settings. */
export function onEngines(
  name: string,
  env: Record<string, string>,
  fn: (opened: OpenedStore, config: Config, sender: Mesh) => Promise<void>,
) {
  for (const engine of engines()) {
    Deno.test({
      name: `${engine.name}: ${name}`,
      ignore: engine.ignore,
      ...engine.testOptions,
      async fn() {
        await using opened = await engine.open();
        const home = await Deno.makeTempDir();
        try {
          const config = loadConfig((k) => ({ AGENT_MESH_HOME: home, ...opened.env, ...env })[k]);
          await fn(opened, config, new Mesh(opened.store, config));
        } finally {
          await Deno.remove(home, { recursive: true });
        }
      },
    });
  }
}

/** `store` with some of its methods replaced (the rest bound to it). */
export function wrapped(store: Store, replaced: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (Object.hasOwn(replaced, prop)) return replaced[prop as keyof Store];
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
