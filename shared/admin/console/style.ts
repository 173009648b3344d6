/** The console's stylesheet: plain CSS, readable on a phone (tables scroll sideways, forms stack). */
export const consoleStyle = `
:root { --fg: #1d2330; --muted: #5b6577; --line: #d9dee7; --accent: #2f6fde; --bad: #c23b3b; --warn: #b7791f; --ok: #2f855a; --bg: #f6f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 10px 16px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; }
nav { display: flex; flex-wrap: wrap; gap: 6px; }
nav button.current { background: var(--accent); color: #fff; border-color: var(--accent); }
main { padding: 16px; max-width: 1200px; margin: 0 auto; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px; margin-bottom: 16px; }
h2 { font-size: 16px; margin: 0 0 10px; }
button { font: inherit; padding: 6px 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); border-color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
input, textarea, select { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; max-width: 100%; }
textarea { width: 100%; min-height: 110px; font-family: ui-monospace, monospace; }
label { display: inline-flex; flex-direction: column; gap: 2px; font-size: 13px; color: var(--muted); }
.row { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 8px 0; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
code { font-family: ui-monospace, monospace; }
.muted { color: var(--muted); }
.message { margin: 8px 0; }
.error { color: var(--bad); }
.status-active, .verdict-valid, .state-active { color: var(--ok); }
.status-disabled, .verdict-invalid, .state-revoked, .state-expired { color: var(--bad); }
.verdict-quota-limited, .verdict-location-refused, .verdict-unreachable, .verdict-error { color: var(--warn); }
.secret { display: block; padding: 10px; background: #fff8e1; border: 1px solid #f0d58a; border-radius: 6px; word-break: break-all; font-family: ui-monospace, monospace; }
progress { width: 100%; height: 14px; }
.login { max-width: 380px; margin: 40px auto; }
.login input { width: 100%; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; }
figure { margin: 0; }
figcaption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; background: #fff; }
svg .axis { stroke: var(--line); }
svg text { font-size: 10px; fill: var(--muted); }
svg .s0 { fill: #2f6fde; } svg .s1 { fill: #38a169; } svg .s2 { fill: #d69e2e; } svg .s3 { fill: #c23b3b; }
.legend span { display: inline-block; margin-right: 10px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.legend .s0 { background: #2f6fde; } .legend .s1 { background: #38a169; } .legend .s2 { background: #d69e2e; } .legend .s3 { background: #c23b3b; }
@media (max-width: 600px) { main { padding: 8px; } section { padding: 10px; } th, td { padding: 5px 6px; } }
`;
