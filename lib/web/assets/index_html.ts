/** The dashboard page (its script and style are served beside it, from the program itself). */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>agent-mesh</title>
<link rel="stylesheet" href="/app.css">
<link rel="icon" href="data:,">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>agent-mesh</h1>
  <span id="engine"></span>
  <span id="live" class="off">connecting…</span>
</header>
<form id="login" hidden>
  <label>This server needs its token (AGENT_MESH_TOKEN):
    <input id="token" type="password" autocomplete="current-password" required>
  </label>
  <button>Open</button>
  <p id="login-error" class="error"></p>
</form>
<main id="main" hidden>
  <section id="agents-section">
    <h2>Agents</h2>
    <table id="agents"><thead><tr>
      <th>name</th><th>role</th><th>online</th><th>receives by</th><th>unread</th><th>oldest unread</th>
    </tr></thead><tbody></tbody></table>
  </section>
  <section id="obligations-section">
    <h2>Obligations</h2>
    <table id="ledger"><thead><tr>
      <th>waiting</th><th>on</th><th>since</th><th>deadline</th><th>re-pings</th><th>escalated</th><th>note</th>
    </tr></thead><tbody></tbody></table>
    <table id="requests"><thead><tr>
      <th>request from</th><th>to</th><th>since</th><th>state</th><th>text</th>
    </tr></thead><tbody></tbody></table>
  </section>
  <section id="traffic-section">
    <h2>Traffic</h2>
    <div class="controls">
      <label>agent <select id="filter"><option value="">all</option></select></label>
      <label>search <input id="search" type="search" placeholder="text or name"></label>
    </div>
    <table id="traffic"><thead><tr>
      <th>time</th><th>from</th><th>to</th><th>kind</th><th>state</th><th>text</th>
    </tr></thead><tbody></tbody></table>
  </section>
  <section id="compose-section">
    <h2>Send</h2>
    <form id="compose">
      <label>as <input id="c-from" required pattern="[A-Za-z0-9_\\-]{1,64}" value="dashboard"></label>
      <label>to <input id="c-to" required placeholder="name, or * for everyone"></label>
      <label class="wide">message <textarea id="c-text" required rows="2"></textarea></label>
      <button>Send</button>
      <span id="c-result"></span>
    </form>
  </section>
  <section id="gate-section">
    <h2>Rate gate, recent verdicts</h2>
    <table id="gate"><thead><tr>
      <th>from</th><th>to</th><th>sends</th><th>max per 10 s</th><th>observe</th><th>deny</th><th>last</th>
    </tr></thead><tbody></tbody></table>
  </section>
</main>
</body>
</html>
`;
