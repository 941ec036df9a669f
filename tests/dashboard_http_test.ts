/**
 * The dashboard's HTTP side without a browser: the page at / of `serve --http`,
 * the token, the Origin check on writes, JSON bodies only, the live feed, bad input.
 */
import assert from "node:assert/strict";
import { openMesh } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";

const TOKEN = "another-test-token";
const auth = { authorization: `Bearer ${TOKEN}` };

for (const engine of engines()) {
  Deno.test({
    name: `${engine.name}: dashboard HTTP: token, Origin, JSON writes, live feed`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn(t) {
      await using m = await openMesh(engine);
      const p = m.opened.prefix;
      await m.cli("register", "alice", "--role", "secret role");
      const server = m.spawn(["serve", "--http", "--port", "0"], { AGENT_MESH_TOKEN: TOKEN });
      const line = await server.waitFor(/MCP server on http:\/\/127\.0\.0\.1:\d+/);
      const base = line.match(/http:\/\/127\.0\.0\.1:\d+/)![0];
      const origin = { origin: base };

      await t.step("/ serves the page without data, locked to this origin", async () => {
        const res = await fetch(`${base}/`);
        const html = await res.text();
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-security-policy")!, /default-src 'none'/);
        assert.match(res.headers.get("content-security-policy")!, /connect-src 'self'/);
        assert.ok(!html.includes("secret role"));
        assert.ok(!/https?:\/\//.test(html), "no third-party URL in the page");
        for (const asset of ["/app.js", "/app.css"]) {
          const a = await fetch(`${base}${asset}`);
          assert.equal(a.status, 200);
          assert.ok(!/https?:\/\//.test(await a.text()), `no URL in ${asset}`);
        }
        assert.ok(!(await (await fetch(`${base}/app.js`)).text()).includes("innerHTML"));
      });

      await t.step("every /api/ route needs the token", async () => {
        for (const path of ["/api/overview", "/api/traffic", "/api/live"]) {
          const res = await fetch(`${base}${path}`);
          assert.equal(res.status, 401, path);
          assert.ok(!(await res.text()).includes("secret role"));
        }
        const ok = await fetch(`${base}/api/overview`, { headers: auth });
        assert.equal(ok.status, 200);
        const doc = await ok.json();
        assert.equal(doc.agents[0].name, "alice");
        assert.equal(doc.agents[0].role, "secret role");
      });

      await t.step("a write needs this server's Origin and a JSON body", async () => {
        const body = JSON.stringify({ from: "web", to: "bob", text: "hi" });
        const json = { "content-type": "application/json" };
        const noOrigin = await fetch(`${base}/api/send`, {
          method: "POST",
          headers: { ...auth, ...json },
          body,
        });
        assert.equal(noOrigin.status, 403);
        await noOrigin.body?.cancel();
        const foreign = await fetch(`${base}/api/send`, {
          method: "POST",
          headers: { ...auth, ...json, origin: "http://evil.example" },
          body,
        });
        assert.equal(foreign.status, 403);
        await foreign.body?.cancel();
        const form = await fetch(`${base}/api/send`, {
          method: "POST",
          headers: { ...auth, ...origin, "content-type": "text/plain" },
          body,
        });
        assert.equal(form.status, 400);
        await form.body?.cancel();
        assert.equal(await m.opened.store.length(`${p}:to_bob`), 0, "nothing written");
        const bad = await fetch(`${base}/api/send`, {
          method: "POST",
          headers: { ...auth, ...json, ...origin },
          body: JSON.stringify({ from: "no spaces allowed", to: "bob", text: "x" }),
        });
        assert.equal(bad.status, 400);
        assert.match((await bad.json()).error, /^Invalid sender name "no spaces allowed"/);
        const good = await fetch(`${base}/api/send`, {
          method: "POST",
          headers: { ...auth, ...json, ...origin },
          body,
        });
        assert.equal(good.status, 200);
        assert.equal((await good.json()).ok, true);
        assert.equal(await m.opened.store.length(`${p}:to_bob`), 1);
        const all = await fetch(`${base}/api/send`, {
          method: "POST",
          headers: { ...auth, ...json, ...origin },
          body: JSON.stringify({ from: "web", to: "*", text: "to everyone" }),
        });
        assert.equal(all.status, 200);
        await all.body?.cancel();
        const [last] = await m.opened.store.revRange(`${p}:group`, 1);
        assert.equal(last.fields.to, "*");
      });

      await t.step("the live feed pushes a send as it happens", async () => {
        const ac = new AbortController();
        const res = await fetch(`${base}/api/live`, { headers: auth, signal: ac.signal });
        assert.equal(res.headers.get("content-type"), "text/event-stream");
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let seen = "";
        const until = async (re: RegExp) => {
          while (!re.test(seen)) {
            const { value, done } = await reader.read();
            if (done) throw new Error(`feed ended before ${re}: ${seen}`);
            seen += value;
          }
        };
        await until(/event: ready/);
        await m.cli("send", "bob", "live one", "--from", "alice");
        await until(/"text":"live one"/);
        assert.match(seen, /event: mesh\ndata: \{"eid":"[^"]+","event":"sent"/);
        ac.abort();
        await reader.cancel().catch(() => {});
      });

      await t.step("the search covers the retained history", async () => {
        const res = await fetch(`${base}/api/traffic?q=LIVE%20ONE`, { headers: auth });
        const { messages } = await res.json();
        assert.deepEqual(messages.map((x: { text: string }) => x.text), ["live one"]);
        const bad = await fetch(`${base}/api/traffic?agent=../x`, { headers: auth });
        assert.equal(bad.status, 400);
        await bad.body?.cancel();
        assert.equal((await fetch(`${base}/health`)).status, 200, "the server stays up");
      });
    },
  });
}

Deno.test("dashboard refuses a non-loopback address without a token", async () => {
  await using m = await openMesh(engines()[0]);
  const r = await m.cliEnv({ AGENT_MESH_TOKEN: "" }, "dashboard", "--host", "0.0.0.0");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Refusing to serve on 0\.0\.0\.0 without AGENT_MESH_TOKEN/);
  assert.equal(r.stderr.trim().split("\n").length, 1);
});
