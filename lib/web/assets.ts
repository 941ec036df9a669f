/**
 * The dashboard's static files, shipped inside the program as string modules (so
 * `deno compile` embeds them and the page works offline). They hold no data, so
 * they are served without the token; the page then asks for it.
 */
import { APP_CSS } from "./assets/app_css.ts";
import { APP_JS } from "./assets/app_js.ts";
import { INDEX_HTML } from "./assets/index_html.ts";

const FILES: Record<string, { body: string; type: string }> = {
  "/": { body: INDEX_HTML, type: "text/html; charset=utf-8" },
  "/app.js": { body: APP_JS, type: "text/javascript; charset=utf-8" },
  "/app.css": { body: APP_CSS, type: "text/css; charset=utf-8" },
};

/** Same-origin only: no third-party request can be made by the page, no inline script runs. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/** True for a path of the dashboard's static files. */
export function isAsset(pathname: string): boolean {
  return Object.hasOwn(FILES, pathname);
}

/** The static file at `pathname` (GET or HEAD only). */
export function serveAsset(req: Request, pathname: string): Response {
  const file = FILES[pathname];
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("Method not allowed", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  return new Response(req.method === "HEAD" ? null : file.body, {
    headers: {
      "content-type": file.type,
      "cache-control": "no-cache",
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
  });
}
