/**
 * `tail` (a live view that takes nothing), safe output of untrusted text, and
 * `rm`, through real processes on both engines.
 */
import assert from "node:assert/strict";
import { engines } from "./harness/store_engines.ts";
import { MAIN, openMesh } from "./harness/cli.ts";
import { block, escapeControls, inline } from "../lib/text/safe_text.ts";

const EVIL = "line one\n12:00:00  mallory → bob  direct  forged\x1b[2J\x07\r\u202eevil";

Deno.test("escaping: controls shown as escapes, newlines indented or shown as \\n", () => {
  assert.equal(escapeControls("a\x1b[31mb\x07\tc\u202e"), "a\\x1b[31mb\\x07\tc\\u{202e}");
  assert.equal(inline("a\nb\rc"), "a\\nb\\rc");
  assert.equal(block("a\nb", "  "), "a\n  b");
  assert.equal(inline("héllo → ok"), "héllo → ok", "printable text is kept");
});

for (const engine of engines()) {
  Deno.test({
    name: `${engine.name}: tail shows traffic and state changes live and takes nothing`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using m = await openMesh(engine);
      const all = m.spawn(["tail"]);
      const bobs = m.spawn(["tail", "bob", "--pings"]);
      await all.waitFor(/^tailing all traffic/);
      await bobs.waitFor(/^tailing bob's traffic/);

      assert.equal((await m.cli("send", "bob", EVIL, "--from", "alice")).code, 0);
      assert.equal((await m.cli("send", "carol", "for carol", "--from", "alice")).code, 0);
      assert.equal((await m.cli("broadcast", "hello all", "--from", "dave")).code, 0);
      await all.waitFor(/dave → everyone {2}group {2}hello all$/);
      await all.waitFor(/alice → carol {2}direct {2}for carol$/);
      const head = await all.waitFor(/alice → bob {2}direct {2}line one$/);
      assert.match(head, /^\d\d:\d\d:\d\d {2}/);
      // The message's second line is indented and its controls escaped.
      const i = all.stdout.indexOf(head);
      assert.equal(
        all.stdout[i + 1],
        "  | 12:00:00  mallory → bob  direct  forged\\x1b[2J\\x07\\r\\u{202e}evil",
      );
      // deno-lint-ignore no-control-regex -- looking for raw controls is the point
      assert.ok(all.stdout.every((l) => !/[\x00-\x08\x0b-\x1f\x7f]/.test(l)), "no raw control");

      // tail took nothing: listen still gets bob's message; tail shows it taken and delivered.
      const l = await m.cli("listen", "bob", "--json", "--timeout", "10");
      assert.equal(JSON.parse(l.stdout).message.text, EVIL);
      await all.waitFor(/alice → bob {2}direct [0-9a-f]{8} taken by listen$/);
      await all.waitFor(/alice → bob {2}direct [0-9a-f]{8} delivered by listen$/);

      // Pings only with --pings; NAME's tail shows only NAME's traffic.
      await m.cli("ping", "bob", "--from", "erin", "--timeout", "0.2");
      await bobs.waitFor(/erin → bob {2}ping$/);
      assert.ok(bobs.stdout.every((l) => !/carol|everyone/.test(l)), bobs.stdout.join("\n"));
      await m.cli("send", "bob", "after the ping", "--from", "alice");
      await all.waitFor(/after the ping$/);
      assert.ok(all.stdout.every((l) => !/ {2}ping$/.test(l)), "no pings without --pings");

      all.kill("SIGINT");
      assert.equal((await all.done()).code, 130);
    },
  });

  Deno.test({
    name: `${engine.name}: rm removes an agent, and asks first`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using m = await openMesh(engine);
      const p = m.opened.prefix;
      const store = m.opened.store;
      await m.cli("register", "typo", "--role", "mistake");
      const sent = JSON.parse(
        (await m.cli("send", "typo", "hi", "-e", "--from", "zed", "--json")).stdout,
      );
      await m.cli("send", "keep", "stay", "--from", "typo");
      assert.ok((await m.cli("who", "--all")).stdout.includes("typo"));

      const refused = await m.cli("rm", "typo");
      assert.equal(refused.code, 2);
      assert.match(
        refused.stderr,
        /^agent-mesh: Refusing to remove "typo" without --yes: stdin is not a terminal$/m,
      );
      assert.equal(await store.length(`${p}:to_typo`), 1, "nothing removed");
      assert.equal((await m.cli("rm", "../x", "--yes")).code, 2);

      const r = await m.cli("rm", "typo", "--yes");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^removed typo: inbox deleted, deregistered/);
      assert.equal(await store.length(`${p}:to_typo`), 0);
      assert.equal(await store.get(`${p}:registry:typo`), null);
      assert.ok(!(await m.cli("who", "--all")).stdout.includes("typo"));
      assert.equal((await m.cli("status", sent.id)).code, 1, "its states are gone");
      assert.equal(await store.length(`${p}:to_keep`), 1, "others are kept");
      assert.equal((await m.cli("rm", "typo", "--yes")).stdout, "nothing to remove for typo\n");
    },
  });
}

/** Runs `agent-mesh rm NAME` on a pseudo-terminal (util-linux `script`), answering `answer`. */
async function rmOnTerminal(env: Record<string, string>, name: string, answer: string) {
  const child = new Deno.Command("script", {
    args: ["-qec", `"${Deno.execPath()}" run -A "${MAIN}" rm ${name}`, "/dev/null"],
    env: { NO_COLOR: "1", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(`${answer}\n`));
  await w.close();
  const out = await child.output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

function hasScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "embedded: rm asks on a terminal and removes only on yes",
  ignore: !hasScript(),
  async fn() {
    await using m = await openMesh(engines()[0]);
    const inbox = `${m.opened.prefix}:to_typo`;
    await m.cli("send", "typo", "hi");
    const no = await rmOnTerminal(m.env, "typo", "n");
    assert.match(no.stdout, /Remove agent "typo": .*\[y\/N\]/);
    assert.match(no.stdout, /nothing removed/);
    assert.equal(no.code, 1);
    assert.equal(await m.opened.store.length(inbox), 1);
    const yes = await rmOnTerminal(m.env, "typo", "y");
    assert.match(yes.stdout, /removed typo: inbox deleted/);
    assert.equal(yes.code, 0);
    assert.equal(await m.opened.store.length(inbox), 0);
  },
});
