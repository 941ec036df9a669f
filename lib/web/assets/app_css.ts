/** The dashboard's style: plain, readable, no external fonts. */
export const APP_CSS = `
[hidden] { display: none !important; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #f6f6f7; }
header { display: flex; gap: 1em; align-items: baseline; padding: .6em 1em; background: #22303c; color: #fff; }
header h1 { font-size: 1.2em; margin: 0; }
#live.on { color: #8fe08f; } #live.off { color: #f0a0a0; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; padding: 1em; }
section { background: #fff; border-radius: 6px; padding: .6em 1em; box-shadow: 0 1px 2px #0002; overflow: auto; }
#traffic-section { grid-column: 1 / -1; max-height: 26em; }
h2 { font-size: 1em; margin: .2em 0 .6em; }
table { border-collapse: collapse; width: 100%; margin-bottom: .6em; }
th, td { text-align: left; padding: .2em .5em; border-bottom: 1px solid #eee; vertical-align: top; }
th { font-weight: 600; color: #555; }
td.text { white-space: pre-wrap; word-break: break-word; max-width: 40em; }
tr.stuck td { background: #fff1e0; } tr.offline td { color: #888; }
tr.loop td { background: #ffe6e6; }
.state-queued { color: #a05a00; } .state-taken { color: #0057b7; }
.state-delivered { color: #137333; } .state-seen { color: #137333; font-weight: 600; }
.controls, #compose { display: flex; flex-wrap: wrap; gap: .6em; align-items: end; margin-bottom: .6em; }
#compose .wide { flex: 1 1 100%; } textarea { width: 100%; }
.error { color: #b00020; } form#login { padding: 2em; }
`;
