/**
 * The web dashboard in a real browser (chromium via playwright-core), on both
 * engines: a mesh set up with the CLI, the page started with `agent-mesh
 * dashboard` and a token, traffic and states live, a message composed in the page.
 */
import assert from "node:assert/strict";
import { openMesh } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";
import { launchBrowser, screenshot, skipBrowser } from "./harness/browser.ts";

const TOKEN = "s3cret-token-for-tests";
const noBrowser = skipBrowser();

for (const engine of engines()) {
  Deno.test({
    name: `${engine.name}: the dashboard in chromium shows agents, live traffic and states`,
    ignore: engine.ignore || noBrowser,
    ...engine.testOptions,
    async fn(t) {
      await using m = await openMesh(engine);
      assert.equal((await m.cli("register", "alice", "--role", "writes the API")).code, 0);
      assert.equal((await m.cli("register", "bob", "--role", "reviews")).code, 0);
      const server = m.spawn(["dashboard"], { AGENT_MESH_TOKEN: TOKEN });
      const url = await server.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await using chrome = await launchBrowser();

      await t.step("without the token the page gets nothing", async () => {
        const { page } = await chrome.open();
        await page.goto(url);
        await page.locator("#login").waitFor({ state: "visible" });
        assert.equal(await page.locator("#main").isVisible(), false);
        assert.ok(!(await page.content()).includes("writes the API"), "no data in the page");
        const status = await page.evaluate(async () => (await fetch("/api/overview")).status);
        assert.equal(status, 401);
        const wrong = await page.evaluate(async () =>
          (await fetch("/api/overview", { headers: { authorization: "Bearer nope" } })).status
        );
        assert.equal(wrong, 401);
        // The token typed in the page opens it.
        await page.fill("#token", TOKEN);
        await page.click("#login button");
        await page.locator('#agents tr[data-name="alice"]').waitFor();
        await page.context().close();
      });

      const { page, errors, requests } = await chrome.open();
      // The token is already in this page's session: no 401 is ever logged.
      await page.addInitScript((token) => sessionStorage.setItem("agent-mesh-token", token), TOKEN);

      await t.step("the page lists the agents of the mesh, with their roles", async () => {
        await page.goto(url);
        await page.locator("#live.on").waitFor();
        const alice = page.locator('#agents tr[data-name="alice"]');
        await alice.waitFor();
        assert.match(await alice.innerText(), /alice\s+writes the API\s+yes/);
        assert.match(await page.locator('#agents tr[data-name="bob"]').innerText(), /reviews/);
      });

      let id = "";
      await t.step(
        "a message sent with the CLI shows up queued, then delivered by listen",
        async () => {
          const r = await m.cli(
            "send",
            "bob",
            "<img src=x onerror=alert(1)> review #12",
            "--from",
            "alice",
            "--json",
          );
          id = JSON.parse(r.stdout).id;
          const row = page.locator(`#traffic tr[data-id="${id}"]`);
          await row.locator("td.state", { hasText: "queued" }).waitFor();
          assert.equal(
            await row.locator("td.text").innerText(),
            "<img src=x onerror=alert(1)> review #12",
          );
          assert.equal(await page.locator("#traffic img").count(), 0, "text is never HTML");
          await page.locator('#agents tr[data-name="bob"] td:nth-child(5)', { hasText: "1" })
            .waitFor();
          const l = await m.cli("listen", "bob", "--timeout", "10");
          assert.match(l.stdout, /review #12/);
          await row.locator("td.state", { hasText: "delivered (listen)" }).waitFor();
          await page.locator('#agents tr[data-name="bob"] td:nth-child(4)', { hasText: "listen" })
            .waitFor();
        },
      );

      await t.step("filter by agent and search the retained history", async () => {
        await m.cli("send", "alice", "lunch at noon?", "--from", "carol");
        await page.locator("#traffic td.text", { hasText: "lunch at noon?" }).waitFor();
        await page.selectOption("#filter", "bob");
        await page.locator("#traffic td.text", { hasText: "lunch" }).waitFor({ state: "detached" });
        assert.equal(await page.locator(`#traffic tr[data-id="${id}"]`).count(), 1);
        await page.selectOption("#filter", "");
        await page.fill("#search", "LUNCH");
        await page.locator(`#traffic tr[data-id="${id}"]`).waitFor({ state: "detached" });
        assert.equal(await page.locator("#traffic tbody tr").count(), 1);
        await page.fill("#search", "");
        await page.locator(`#traffic tr[data-id="${id}"]`).waitFor();
      });

      await t.step("a message composed in the page reaches agent-mesh listen", async () => {
        const listener = m.spawn(["listen", "bob", "--json", "--timeout", "30"]);
        await page.fill("#c-from", "dashboard-user");
        await page.fill("#c-to", "bob");
        await page.fill("#c-text", "sent from the page");
        await page.click("#compose button");
        await page.locator("#c-result", { hasText: "sent (" }).waitFor();
        const done = await listener.done();
        const got = JSON.parse(done.stdout).message;
        assert.equal(got.from, "dashboard-user");
        assert.equal(got.text, "sent from the page");
        await page.locator(`#traffic tr[data-id="${got.id}"] td.state`, { hasText: "delivered" })
          .waitFor();
      });

      await t.step("obligations and the rate gate per pair", async () => {
        await m.cli("send", "bob", "answer me", "--from", "alice", "-e", "--within", "60");
        for (let i = 0; i < 3; i++) await m.cli("send", "bob", `loop ${i}`, "--from", "carol");
        await page.locator("#ledger tbody tr", { hasText: "answer me" }).waitFor();
        const pair = page.locator('#gate tr[data-pair="carol>bob"]');
        await pair.locator("td:nth-child(3)", { hasText: /^3$/ }).waitFor();
        assert.match(await pair.innerText(), /carol\s+bob\s+3\s+3/);
        const path = await screenshot(page, `dashboard-${engine.name}`);
        console.log(`screenshot: ${path}`);
      });

      await t.step("an unanswered request is listed until it is answered", async () => {
        const asker = m.spawn(["request", "erin", "which branch?", "--from", "dave", "--json"]);
        const open = page.locator("#requests tbody tr", { hasText: "which branch?" });
        await open.waitFor();
        const l = JSON.parse((await m.cli("listen", "erin", "--json", "--timeout", "20")).stdout);
        await open.locator("td", { hasText: "delivered" }).waitFor();
        await m.cli("reply", l.message.reply_to, "main", "--from", "erin");
        assert.equal((await asker.done()).code, 0);
        await open.waitFor({ state: "detached" });
      });

      await t.step("no errors in the console, no request leaves the server", () => {
        assert.deepEqual(errors, []);
        const origin = new URL(url).origin;
        const foreign = requests.filter((r) => !r.startsWith(origin) && !r.startsWith("data:"));
        assert.deepEqual(foreign, []);
      });
    },
  });
}
