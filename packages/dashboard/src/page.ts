import { readFileSync } from 'node:fs';

// The page is one HTML document with uPlot, its CSS and our script inlined: no CDN, no second
// request. The server adds a fresh CSP nonce per response. The script writes every string from
// data with `textContent` (never `innerHTML`), and the CSP forbids any script without the nonce,
// so an injected tag would stay inert even if a bug slipped through.

let assets: { js: string; css: string } | undefined;

function uplotAssets(): { js: string; css: string } {
  if (assets) return assets;
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  // Inlined inside <script>/<style>: a closing tag in the library text would end the element early.
  if (/<\/script/i.test(js) || /<\/style/i.test(css)) throw new Error('uPlot assets contain a closing tag; cannot inline them');
  assets = { js, css };
  return assets;
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #6b7280; --bg: #f6f7f9; --card: #fff; --line: #e3e6ea; --bad: #c0392b; --ok: #1e8449; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #9aa3b2; --bg: #12151b; --card: #1b2029; --line: #2b3240; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 16px; align-items: baseline; padding: 12px 20px; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 18px; margin: 0; }
#status { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #888; color: #fff; }
#status.live { background: var(--ok); }
#status.down { background: var(--bad); }
.counters { display: flex; flex-wrap: wrap; gap: 14px; color: var(--muted); }
.counters b { color: var(--fg); font-variant-numeric: tabular-nums; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; padding: 16px 20px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
section h2 { font-size: 14px; margin: 0 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 6px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; overflow: hidden; text-overflow: ellipsis; max-width: 260px; }
th[data-key] { cursor: pointer; user-select: none; }
th[aria-sort="descending"]::after { content: " \\25BE"; }
th[aria-sort="ascending"]::after { content: " \\25B4"; }
td.bad { color: var(--bad); font-weight: 600; }
ul { margin: 0; padding-left: 18px; }
li { margin: 3px 0; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.wide { grid-column: 1 / -1; }
.empty { color: var(--muted); font-style: italic; }
h2.spaced { margin-top: 12px; }
#failures { max-height: 360px; overflow-y: auto; }
`;

const SCRIPT = `
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const ms = (v) => (v === null || v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const pct = (v) => (v * 100).toFixed(1) + '%';
  const num = (v) => (v === null || v === undefined ? 'n/a' : Number.isInteger(v) ? String(v) : v.toFixed(1));
  const time = (t) => new Date(t).toLocaleTimeString();
  const palette = ['#2f6fdf', '#e8743b', '#19a979', '#ed4a7b', '#945ecf', '#13a4b4', '#bf399e', '#6c8893'];
  let sortKey = 'estimatedCalls';
  let sortDesc = true;
  let last = null;
  let charts = null;

  function list(id, items, render, emptyText) {
    const ul = $(id);
    ul.replaceChildren();
    if (items.length === 0) ul.append(el('li', emptyText, 'empty'));
    for (const item of items) ul.append(render(item));
  }

  function renderTable(tools) {
    const rows = tools.slice().sort((a, b) => {
      const x = a[sortKey] ?? -1, y = b[sortKey] ?? -1;
      return (sortDesc ? y - x : x - y) || (a.toolId < b.toolId ? -1 : 1);
    });
    const body = $('tools-body');
    body.replaceChildren();
    for (const t of rows) {
      const tr = el('tr');
      tr.dataset.tool = t.toolId;
      tr.append(el('td', t.toolId, 'tool-name'), el('td', num(t.estimatedCalls)), el('td', ms(t.p50)), el('td', ms(t.p95)), el('td', ms(t.p99)));
      tr.append(el('td', pct(t.errorRate), t.errorRate >= 0.1 ? 'bad' : ''), el('td', t.effectiveSampleRate < 1 ? pct(t.effectiveSampleRate) : '100%'));
      body.append(tr);
    }
    if (rows.length === 0) {
      const tr = el('tr');
      const td = el('td', 'no calls yet', 'empty');
      td.colSpan = 7;
      tr.append(td);
      body.append(tr);
    }
    for (const th of document.querySelectorAll('th[data-key]')) {
      th.setAttribute('aria-sort', th.dataset.key === sortKey ? (sortDesc ? 'descending' : 'ascending') : 'none');
    }
  }

  function makeChart(target, names, yLabel) {
    const width = Math.max(300, target.clientWidth - 4);
    return new uPlot({
      width, height: 220,
      legend: { live: false },
      scales: { x: { time: true } },
      axes: [{}, { label: yLabel, size: 56 }],
      series: [{}, ...names.map((n, i) => ({ label: n, stroke: palette[i % palette.length], width: 2, spanGaps: true, points: { show: false } }))],
    }, [[], ...names.map(() => [])], target);
  }

  function renderCharts(tl) {
    const names = tl.tools.map((t) => t.toolId);
    const key = JSON.stringify(names);
    if (!charts || charts.key !== key) {
      if (charts) { charts.calls.destroy(); charts.p95.destroy(); }
      $('chart-calls').replaceChildren();
      $('chart-p95').replaceChildren();
      charts = { key, calls: makeChart($('chart-calls'), names, 'calls/s'), p95: makeChart($('chart-p95'), names, 'p95 ms') };
    }
    const xs = tl.times.map((t) => t / 1000);
    charts.calls.setData([xs, ...tl.tools.map((t) => t.callsPerSecond)]);
    charts.p95.setData([xs, ...tl.tools.map((t) => t.p95)]);
  }

  function recommendationText(r) {
    const i = r.impact, parts = [];
    if (i.timeMs > 0) parts.push('~' + Math.round(i.timeMs) + ' ms saved');
    if (i.failures > 0) parts.push('~' + Math.round(i.failures) + ' failures avoided');
    if (i.samples > 0) parts.push(Math.round(i.samples) + ' timed calls short');
    return '[' + r.kind + '] ' + r.message + ' — change: ' + r.action + ' (impact: ' + (parts.length ? parts.join(', ') : 'no measurable saving') + '; ' + i.basis + ')';
  }

  function render(s) {
    last = s;
    const c = s.counters, sum = s.summary;
    $('c-calls').textContent = num(sum.estimatedOperations);
    $('c-records').textContent = num(sum.totalOperations);
    $('c-failures').textContent = num(sum.failures) + ' (' + pct(sum.errorRate) + ')';
    $('c-sessions').textContent = num(sum.sessions);
    $('c-sampled').textContent = c.sampledOut === null ? num(c.sampledRecords) + ' sampled records' : num(c.sampledOut) + ' calls';
    $('c-dropped').textContent = num((c.collectorDropped ?? 0) + c.dashboardDropped) + (c.corruptLines ? ', ' + c.corruptLines + ' corrupt lines' : '');
    $('source').textContent = s.source.kind === 'storage' ? 'storage: ' + s.source.dir : 'live collector';
    $('updated').textContent = 'updated ' + time(Date.parse(s.generatedAt));
    renderTable(s.tools);
    renderCharts(s.timeline);
    list('failures', s.failures, (f) => {
      const li = el('li');
      li.append(el('span', time(f.endTime) + ' ', 'muted'), el('b', f.toolId), el('span', ' ' + (f.errorType || 'Error') + ': ', 'mono'), el('span', f.error || ''));
      return li;
    }, 'no failures');
    list('sequences', s.sequences, (p) => el('li', p.sequence.join(' → ') + '  ×' + num(p.count) + '  ok ' + pct(p.successRate)), 'not enough calls yet');
    list('predictions', s.predictions, (p) => el('li', 'after ' + p.after.join(' → ') + ': ' + p.next.map((n) => n.toolId + ' ' + pct(n.probability)).join(', ')), 'not enough calls yet');
    list('error-patterns', s.errorPatterns, (p) => el('li', p.sequence.join(' → ') + '  fails ' + pct(p.errorRate) + ' vs ' + pct(p.baseRate) + ' (n=' + num(p.count) + ')'), 'none');
    list('recommendations', s.recommendations, (r) => el('li', recommendationText(r)), 'none');
    list('anomalies', s.anomalies, (a) => el('li', time(a.at) + ' ' + a.kind + ' ' + a.toolId + ': ' + (a.kind === 'latency' ? ms(a.value) + ' ms vs typical ' + ms(a.expected) + ' ms' : a.kind === 'error-burst' ? a.failures + ' of last ' + a.window + ' calls failed (baseline ' + pct(a.baselineRate) + ')' : pct(a.growingShare) + ' of calls grew the heap')), 'none');
    document.body.dataset.version = String((Number(document.body.dataset.version) || 0) + 1);
  }

  for (const th of document.querySelectorAll('th[data-key]')) {
    th.addEventListener('click', () => {
      if (sortKey === th.dataset.key) sortDesc = !sortDesc;
      else { sortKey = th.dataset.key; sortDesc = true; }
      if (last) renderTable(last.tools);
    });
  }

  let recent = 0;
  const events = new EventSource('events');
  events.addEventListener('open', () => { $('status').textContent = 'live'; $('status').className = 'live'; });
  events.addEventListener('error', () => { $('status').textContent = 'reconnecting'; $('status').className = 'down'; });
  events.addEventListener('snapshot', (e) => render(JSON.parse(e.data)));
  events.addEventListener('records', (e) => {
    const batch = JSON.parse(e.data);
    recent += batch.records.length + batch.omitted;
    $('c-stream').textContent = String(recent);
  });
  window.addEventListener('resize', () => { if (charts) { charts = null; if (last) renderCharts(last.timeline); } });
})();
`;

const BODY = `
<header>
  <h1>perftrack</h1>
  <span id="status">connecting</span>
  <span id="source" class="muted"></span>
  <span id="updated" class="muted"></span>
  <div class="counters">
    <span>calls <b id="c-calls">0</b></span>
    <span>records <b id="c-records">0</b></span>
    <span>failed <b id="c-failures">0</b></span>
    <span>sessions <b id="c-sessions">0</b></span>
    <span>sampled out <b id="c-sampled">0</b></span>
    <span>dropped <b id="c-dropped">0</b></span>
    <span>streamed <b id="c-stream">0</b></span>
  </div>
</header>
<main>
  <section><h2>Calls per second by tool</h2><div id="chart-calls"></div></section>
  <section><h2>p95 latency (ms) by tool</h2><div id="chart-p95"></div></section>
  <section class="wide"><h2>Tools</h2>
    <table id="tools">
      <thead><tr><th>tool</th><th data-key="estimatedCalls">calls</th><th data-key="p50">p50 ms</th><th data-key="p95">p95 ms</th><th data-key="p99">p99 ms</th><th data-key="errorRate">error rate</th><th>sampled</th></tr></thead>
      <tbody id="tools-body"></tbody>
    </table>
  </section>
  <section><h2>Recent failures</h2><ul id="failures"></ul></section>
  <section><h2>Recommendations</h2><ul id="recommendations"></ul><h2 class="spaced">Anomalies</h2><ul id="anomalies"></ul></section>
  <section><h2>Top sequences</h2><ul id="sequences"></ul></section>
  <section><h2>Next-tool predictions</h2><ul id="predictions"></ul><h2 class="spaced">Error-prone sequences</h2><ul id="error-patterns"></ul></section>
</main>`;

/** The dashboard page, with `nonce` on its inline script and style. */
export function renderPage(nonce: string): string {
  const { js, css } = uplotAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>perftrack dashboard</title>
<style nonce="${nonce}">${css}${STYLE}</style>
</head><body>${BODY}
<script nonce="${nonce}">${js}</script>
<script nonce="${nonce}">${SCRIPT}</script>
</body></html>`;
}

/** The Content-Security-Policy sent with the page. */
export function pageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
