/**
 * The dashboard's script: vanilla JS, no build step. Every piece of data reaches
 * the page through textContent, never as HTML. The token (when the server has
 * one) is kept in sessionStorage and sent as a header, never in a URL.
 */
export const APP_JS = `"use strict";
const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "agent-mesh-token";
let token = sessionStorage.getItem(TOKEN_KEY) || "";
let traffic = new Map();
let filter = "";
let query = "";
let refreshing = null;

class Unauthorized extends Error {}

function headers(extra) {
  const h = Object.assign({}, extra);
  if (token) h.authorization = "Bearer " + token;
  return h;
}

async function api(path, opts) {
  opts = opts || {};
  const res = await fetch(path, Object.assign({}, opts, { headers: headers(opts.headers), cache: "no-store" }));
  if (res.status === 401) {
    showLogin(token ? "Wrong token" : "");
    throw new Unauthorized();
  }
  const doc = await res.json();
  if (!res.ok) throw new Error((doc.error && (doc.error.message || doc.error)) || res.statusText);
  return doc;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function tr(cells, cls) {
  const row = document.createElement("tr");
  if (cls) row.className = cls;
  for (const c of cells) row.append(c instanceof Node ? c : el("td", c));
  return row;
}

function fill(id, rows) {
  const body = $(id).tBodies[0];
  body.replaceChildren(...rows);
}

function clock(ts) {
  const n = Number(ts);
  if (!n) return "?";
  return new Date(n * 1000).toLocaleTimeString([], { hour12: false });
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return s + " s";
  if (s < 7200) return Math.round(s / 60) + " min";
  return Math.round(s / 3600) + " h";
}

function who(name) {
  return name === "*" ? "everyone" : name;
}

function showLogin(message) {
  $("main").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  setLive(false, "locked");
}

function setLive(on, text) {
  $("live").className = on ? "on" : "off";
  $("live").textContent = text || (on ? "live" : "reconnecting…");
}

function renderOverview(doc) {
  $("engine").textContent = doc.engine + " engine";
  const now = doc.now;
  fill("agents", doc.agents.map((a) => {
    const oldest = a.oldest_unread_ts ? now - a.oldest_unread_ts : null;
    const cls = [a.online ? "" : "offline", oldest !== null && oldest > 60 ? "stuck" : ""].join(" ").trim();
    const row = tr([a.name, a.role || "", a.online ? "yes" : "no", a.receives || "", a.unread, age(oldest)], cls);
    row.dataset.name = a.name;
    return row;
  }));
  const select = $("filter");
  const names = doc.agents.map((a) => a.name);
  const have = [...select.options].map((o) => o.value).filter(Boolean);
  if (names.join("\\n") !== have.join("\\n")) {
    const keep = select.value;
    select.replaceChildren(el("option", "all"), ...names.map((n) => el("option", n)));
    select.options[0].value = "";
    select.value = names.includes(keep) ? keep : "";
  }
  fill("ledger", doc.obligations.ledger.map((e) => tr([
    e.sender, e.peer, clock(e.sent_ts), clock(e.deadline_ts), e.tries, e.escalated ? "yes" : "no",
    el("td", e.note, "text"),
  ], e.deadline_ts < now ? "stuck" : "")));
  fill("requests", doc.obligations.requests.map((r) => tr([
    r.from, r.to, age(now - Number(r.ts)), r.state || "", el("td", r.text, "text"),
  ])));
  fill("gate", doc.gate.map((g) => {
    const row = tr([g.from, who(g.to), g.sends, g.max_rate, g.observe, g.deny, g.last_verdict],
      g.observe || g.deny ? "loop" : "");
    row.dataset.pair = g.from + ">" + g.to;
    return row;
  }));
}

async function refreshOverview() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    try {
      renderOverview(await api("/api/overview"));
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

let timer = null;
function soon() {
  if (timer) return;
  timer = setTimeout(() => {
    timer = null;
    refreshOverview().catch(report);
  }, 200);
}

function matches(r) {
  if (r.kind === "ping") return false;
  if (filter && r.from !== filter && r.to !== filter) return false;
  if (!query) return true;
  const q = query.toLowerCase();
  return r.text.toLowerCase().includes(q) || r.from.toLowerCase().includes(q) || r.to.toLowerCase().includes(q);
}

function trafficRow(r) {
  const state = el("td", r.state ? r.state + (r.reader ? " (" + r.reader + ")" : "") : "", "state state-" + (r.state || "none"));
  const row = tr([clock(r.ts), r.from, who(r.to), r.kind, state, el("td", r.text, "text")]);
  row.dataset.id = r.id;
  row.dataset.kind = r.kind;
  return row;
}

function renderTraffic() {
  const rows = [...traffic.values()].filter(matches).slice(-300).reverse();
  fill("traffic", rows.map(trafficRow));
}

// Live events that arrive while a traffic load is in flight are applied again on top of
// the loaded snapshot, which may be older than them (else a state change could be lost).
let loads = 0;
let duringLoad = [];

async function loadTraffic() {
  const gen = ++loads;
  duringLoad = [];
  const params = new URLSearchParams({ limit: "300" });
  if (filter) params.set("agent", filter);
  if (query) params.set("q", query);
  const doc = await api("/api/traffic?" + params);
  if (gen !== loads) return; // a newer load replaces this one
  traffic = new Map(doc.messages.map((m) => [m.kind === "reply" ? m.id + ":reply" : m.id, m]));
  for (const e of duringLoad) applyEvent(e);
  duringLoad = [];
  renderTraffic();
}

function applyEvent(e) {
  if (e.event === "sent") {
    const key = e.kind === "reply" ? e.id + ":reply" : e.id;
    const known = traffic.get(key);
    const initial = e.kind === "direct" || e.kind === "request" ? "queued" : null;
    // A snapshot may already hold a later state of it: keep that.
    if (!known) traffic.set(key, { id: e.id, from: e.from, to: e.to, kind: e.kind, ts: e.ts, text: e.text || "", state: initial, reader: null });
  } else {
    const r = traffic.get(e.id);
    if (r) {
      r.state = e.event;
      if (e.reader) r.reader = e.reader;
    }
  }
}

function apply(e) {
  duringLoad.push(e);
  if (duringLoad.length > 1000) duringLoad.shift();
  applyEvent(e);
  renderTraffic();
  soon();
}

function onBlock(block) {
  let event = "message";
  let data = "";
  for (const line of block.split("\\n")) {
    if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (event === "ready") {
    $("main").hidden = false;
    setLive(true);
    Promise.all([refreshOverview(), loadTraffic()]).catch(report);
  } else if (event === "mesh") apply(JSON.parse(data));
  else if (event === "tick") soon();
}

async function live() {
  for (;;) {
    try {
      const res = await fetch("/api/live", { headers: headers({ accept: "text/event-stream" }), cache: "no-store" });
      if (res.status === 401) return showLogin(token ? "Wrong token" : "");
      if (!res.ok || !res.body) throw new Error("live feed: " + res.status);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf("\\n\\n")) >= 0) {
          onBlock(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } catch (err) {
      if (err instanceof Unauthorized) return;
    }
    setLive(false);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function report(err) {
  if (err instanceof Unauthorized) return;
  $("c-result").textContent = String(err && err.message || err);
}

function start() {
  $("login").hidden = true;
  live();
}

$("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  start();
});

$("filter").addEventListener("change", () => {
  filter = $("filter").value;
  loadTraffic().catch(report);
});

let searchTimer = null;
$("search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    query = $("search").value.trim();
    loadTraffic().catch(report);
  }, 250);
});

$("compose").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("c-result");
  out.className = "";
  try {
    const doc = await api("/api/send", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: $("c-from").value.trim(), to: $("c-to").value.trim(), text: $("c-text").value }),
    });
    out.textContent = "sent (" + doc.id + ")";
    $("c-text").value = "";
  } catch (err) {
    out.className = "error";
    report(err);
  }
});

start();
`;
