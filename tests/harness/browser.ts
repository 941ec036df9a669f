/**
 * A real browser for the dashboard tests: Debian's chromium driven by
 * playwright-core (pinned; no browser is ever downloaded). Tests skip loudly when
 * chromium is missing, unless AGENT_MESH_REQUIRE_BROWSER=1 (CI).
 */
// deno-lint-ignore no-import-prefix -- pinned inline, like every dependency (no import map)
import { type Browser, chromium, type Page } from "npm:playwright-core@1.65.1";
import { fromFileUrl } from "./paths.ts";

/** The browser the tests drive. */
export const CHROMIUM = "/usr/bin/chromium";

/** Where the tests save screenshots (git-ignored; CI prints the path). */
export const SCREENSHOTS = fromFileUrl(new URL("../screenshots/", import.meta.url));

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let warned = false;

/** Whether to skip browser tests; warns loudly once, and throws when the browser is required. */
export function skipBrowser(): boolean {
  try {
    Deno.statSync(CHROMIUM);
    return false;
  } catch {
    const why = `${CHROMIUM} is missing (apt-get install -y chromium)`;
    if (Deno.env.get("AGENT_MESH_REQUIRE_BROWSER") === "1") {
      throw new Error(`AGENT_MESH_REQUIRE_BROWSER=1 but ${why}`);
    }
    if (!warned) {
      warned = true;
      console.error(`\n!!! SKIPPING the browser tests: ${why}\n`);
    }
    return true;
  }
}

/** A page that records console errors, page errors and every URL it requested. */
export interface WatchedPage {
  page: Page;
  /** Console messages of type error, and uncaught page errors. */
  errors: string[];
  requests: string[];
}

/** One launched chromium; dispose it to close it. */
export interface TestBrowser extends AsyncDisposable {
  browser: Browser;
  /** A fresh page in its own context (own sessionStorage). */
  open(): Promise<WatchedPage>;
}

/** Launches headless chromium. */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  return {
    browser,
    async open() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (msg) => {
        if (msg.type() === "error") errors.push(msg.text());
      });
      page.on("pageerror", (err) => errors.push(String(err)));
      page.on("request", (req) => requests.push(req.url()));
      return { page, errors, requests };
    },
    async [Symbol.asyncDispose]() {
      await browser.close();
    },
  };
}

/** Saves a full-page screenshot as `SCREENSHOTS/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
