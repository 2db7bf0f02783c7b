// The HTML/CSS/JS of `dsim report`. The C++ side inserts the JSON data at
// the marker. Plain JavaScript, no libraries, no network.
//
// The data comes from a trace anyone may have written (node names, check
// messages), so the page treats it as hostile: every string reaches the DOM
// through esc() (which escapes both quote characters too) or textContent,
// and the CSP allows only the one inline script whose SHA-256 report.cc
// puts in place of kScriptHashMarker; an injected handler attribute or
// script never runs.
#pragma once

namespace dsim::analysis {

inline constexpr const char* kReportHead = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-@DSIM_SCRIPT_SHA256@'; style-src 'unsafe-inline'; img-src data:">
<title>dsim report</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:8px 14px;background:#263238;color:#eceff1}
header h1{font-size:16px;margin:0 0 4px}
code{background:#eceff1;color:#263238;padding:1px 4px;border-radius:3px}
#bar{display:flex;gap:6px;align-items:center;padding:6px 14px;background:#eceff1;flex-wrap:wrap}
button{font:inherit;padding:2px 8px}
#checks span{display:inline-block;margin:2px 6px 2px 0;padding:1px 6px;border-radius:3px;color:#fff}
.held{background:#2e7d32}.violated{background:#c62828}.inconclusive{background:#f9a825}
#wrap{padding:6px 14px}
canvas{background:#fff;border:1px solid #cfd8dc;cursor:crosshair;display:block;width:100%}
#cols{display:flex;gap:14px;padding:6px 14px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #e0e0e0;padding:2px 8px;text-align:left}
#events{font-family:monospace;font-size:12px;max-height:260px;overflow:auto;flex:1;white-space:pre}
#events .cur{background:#fff59d}
#violation{color:#c62828;font-weight:bold;padding:4px 14px}
#notice{color:#6d4c41;padding:0 14px}
#narration{margin:6px 14px;max-width:70em;color:#37474f;font-style:italic}
#legend{padding:2px 14px;font-size:12px}#legend span.sw{display:inline-block;width:18px;height:3px;margin:0 4px 3px 10px;vertical-align:middle}
#tip{position:fixed;pointer-events:none;background:#263238;color:#eceff1;font:12px monospace;padding:4px 6px;border-radius:3px;white-space:pre;z-index:9;max-width:60em}
#msg-detail{font-family:monospace;font-size:12px;white-space:pre;padding:4px 14px;color:#263238}
#events div{cursor:pointer}#events div:hover{background:#eceff1}
#logs{padding:6px 14px}#logs td{vertical-align:top;white-space:nowrap}#logs td:last-child{white-space:normal}
#cols{flex-wrap:wrap}#events{min-width:40em}
.le{display:inline-block;min-width:22px;margin:1px;padding:0 2px;text-align:center;font:11px monospace;border:1px dashed #78909c;border-radius:3px}
.le small{display:block;font-size:9px;color:#546e7a}
.le.c{border-style:solid;border-color:#263238}.le.a{font-weight:bold;box-shadow:inset 0 -3px 0 #2e7d32}
.le.gap{background:#fff;color:#b0bec5}.le.re{outline:2px solid #e53935;outline-offset:-1px}
</style></head><body>
<noscript><p>This report needs JavaScript to draw the run. The trace itself is plain JSON Lines.</p></noscript>
<header><h1 id="title">dsim report</h1><div id="meta"></div></header>
<p id="narration" hidden></p>
<div id="bar">
<button id="prev" title="previous event (p)">&#9664; prev</button><button id="next" title="next event (n)">next &#9654;</button>
<input id="slider" type="range" min="0" max="1000" value="0" style="width:260px">
<span id="cursor-time"></span>
<button id="zoom-in">zoom +</button><button id="zoom-out">zoom &minus;</button><button id="reset">whole run</button>
<button id="jump-violation" title="v">jump to first violation</button>
<label>event kind <select id="kind-sel"></select></label><button id="prev-kind" title="previous event of this kind ([)">&#9664; kind</button><button id="next-kind" title="next event of this kind (])">kind &#9654;</button>
<span id="checks"></span>
</div>
<div id="violation"></div><div id="notice"></div><div id="sample" style="color:#6d4c41;padding:0 14px"></div>
<div id="wrap"><canvas id="diagram" width="1200" height="300"></canvas></div>
<div id="legend"></div><div id="msg-detail"></div><div id="tip" hidden></div>
<div id="cols"><table id="state"><thead><tr><th>node</th><th>status</th><th>role</th><th id="epoch">term</th><th>last event</th></tr></thead><tbody></tbody></table>
<div id="events"></div></div>
<div id="logs"></div>
<pre id="dsim-selftest" hidden></pre>
<script type="application/json" id="dsim-data">)HTML";

inline constexpr const char* kScriptHashMarker = "@DSIM_SCRIPT_SHA256@";

inline constexpr const char* kReportTail = R"HTML(</script>
<script>
"use strict";
const errors = [];
window.addEventListener("error", e => errors.push(String(e.message)));
const D = (() => { const el = document.getElementById("dsim-data"), d = JSON.parse(el.textContent);
  // The data lives in D from here: drop the element's text (tens of
  // megabytes for a large run) so the DOM holds only what is shown.
  el.remove(); return d; })();
const N = D.nodes.length, END = Math.max(D.end, 1);
// Columns arrive delta-encoded; decode once into typed arrays.
const EV = (() => { const n = D.ev.dt.length, t = new Float64Array(n); let acc = 0;
  for (let i = 0; i < n; i++) { acc += D.ev.dt[i]; t[i] = acc; }
  // Message rows arrive as steps (0: none, d + 1 forward, d backward).
  const msg = new Int32Array(n); let row = 0;
  for (let i = 0; i < n; i++) { const v = D.ev.msg[i]; if (v === 0) { msg[i] = -1; continue; } row += v > 0 ? v - 1 : v; msg[i] = row; }
  // Each event's text as a code: 0 none, 1 the next new text of
  // D.ev.texts, k >= 2 the text k - 2 places before the newest.
  const text = new Int32Array(n); let newest = -1;
  for (let i = 0; i < n; i++) { const v = D.ev.text[i]; text[i] = v === 0 ? -1 : v === 1 ? ++newest : newest - (v - 2); }
  return {n, t, node: D.ev.node, kind: D.ev.kind, msg, text}; })();
// An event's own fields as text (key=value ...), or "".
const evFields = i => EV.text[i] >= 0 ? D.ev.texts[EV.text[i]] : "";
const MS = (() => { const m = D.msg, n = m.dt.length, t = new Float64Array(n), recv = new Float64Array(n), drop = new Float64Array(n), id = new Float64Array(n);
  let acc = 0, accId = 0;
  for (let i = 0; i < n; i++) { acc += m.dt[i]; t[i] = acc; recv[i] = m.recv[i] < 0 ? -1 : acc + m.recv[i]; drop[i] = m.drop[i] < 0 ? -1 : acc + m.drop[i];
    accId += m.id[i]; id[i] = accId; }
  return {n, t, from: m.from, to: m.to, type: m.type, recv, drop, dup: m.dup, id, info: m.info}; })();
const nodeName = n => n >= 0 ? D.nodes[n] : "*";
// A message's contents as its send event traced them (key=value ...).
const msgInfo = i => D.infos[MS.info[i]];
// Sends and deliveries name their message; the page spells it out as
// `dsim show` does, plus its type and contents.
const evText = i => {
  const k = D.kinds[EV.kind[i]], r = EV.msg[i];
  if (r >= 0 && k === "drop") {  // its own keys (the reason), then what was lost
    const info = msgInfo(r);
    return k + " " + evFields(i) + " " + nodeName(MS.from[r]) + "\u2192" + nodeName(MS.to[r]) + " type=" + D.types[MS.type[r]] + (info ? " " + info : "");
  }
  if (r >= 0) {
    const info = msgInfo(r);
    return k + " msg=" + MS.id[r] + (k === "send" ? " to=" + nodeName(MS.to[r]) : " from=" + nodeName(MS.from[r])) +
      " type=" + D.types[MS.type[r]] + (info ? " " + info : "");
  }
  return k + (evFields(i) ? " " + evFields(i) : "");
};
const TYPE_COLORS = ["#1976d2", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#c2185b", "#5d4037", "#7cb342", "#3949ab", "#f4511e", "#00acc1", "#8d6e63"];
const typeColor = t => TYPE_COLORS[t % TYPE_COLORS.length];
const cv = document.getElementById("diagram"), cx = cv.getContext("2d");
const LANE = 34, TOP = 28, LEFT = 70;
cv.height = TOP + N * LANE + 20;
cv.dataset.lanes = String(N);
let view = [0, END], cursorIdx = 0, cursorT = 0, arrowsDrawn = 0, selectedMsg = -1;
// The arrows drawn, for hovering and clicking (at most the drawing cap).
const segs = {n: 0, i: new Int32Array(20000), x0: new Float32Array(20000), y0: new Float32Array(20000),
              x1: new Float32Array(20000), y1: new Float32Array(20000)};
const fmt = ns => (ns / 1e9).toFixed(6) + "s";
const esc = s => String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
document.getElementById("title").textContent = "dsim report: " + D.meta.scenario;
if (D.meta.description) { const p = document.getElementById("narration"); p.textContent = D.meta.description; p.hidden = false; }
document.getElementById("legend").innerHTML = D.types.length ? "messages:" + D.types.map((name, t) =>
  "<span class='sw' style='background:" + typeColor(t) + "'></span>" + esc(name)).join("") +
  " &middot; dashed: duplicate copy &middot; &#10005;: dropped &middot; hover an arrow for its contents, click to keep them" : "";
{ const sel = document.getElementById("kind-sel");
  const order = D.kinds.map((k, i) => [k, i]).sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  for (const [k, i] of order) { const o = document.createElement("option"); o.value = String(i); o.textContent = k; sel.appendChild(o); }
  const pre = order.find(([k]) => k === "append" || k === "accepted" || k === "commit"); if (pre) sel.value = String(pre[1]); }
document.getElementById("meta").innerHTML = "seed <code>" + esc(D.meta.seed) + "</code> &middot; " + N +
  " nodes &middot; " + fmt(END) + " simulated &middot; reproduce: <code id='repro'>" + esc(D.meta.repro) +
  "</code> <button id='copy'>copy</button>";
document.getElementById("copy").onclick = () => navigator.clipboard && navigator.clipboard.writeText(D.meta.repro);
for (const c of D.checks) {
  const chip = document.createElement("span");
  chip.className = String(c.status);
  chip.title = String(c.violation ? c.violation.message : c.note);
  chip.textContent = c.name + ": " + c.status;
  document.getElementById("checks").appendChild(chip);
}
const firstViolation = D.checks.filter(c => c.violation).map(c => c.violation).sort((a, b) => a.t - b.t)[0];
if (firstViolation) document.getElementById("violation").textContent =
  "First violation at " + fmt(firstViolation.t) + " on " + firstViolation.node + ": " + firstViolation.message;
else document.getElementById("jump-violation").disabled = true;
if (D.truncated) document.getElementById("notice").textContent =
  "This run is large: the report holds its first " + MS.n + " messages and " + EV.n +
  " events. Reproduce it and use dsim show or the Perfetto export for the rest.";
document.getElementById("epoch").textContent = D.hints.epoch;
for (const label of D.state.labels) { const th = document.createElement("th"); th.textContent = label;
  document.querySelector("#state thead tr").insertBefore(th, document.querySelector("#state thead tr").lastElementChild); }
const ROLE_COLOR = Object.assign({leader: "#f9a825", candidate: "#fb8c00", pre_candidate: "#ffcc80", follower: "#b0bec5"},
                                 D.hints.colours);
const X = t => LEFT + (t - view[0]) / (view[1] - view[0]) * (cv.width - LEFT - 10);
const Y = n => TOP + n * LANE + LANE / 2;
function lowerBound(arr, t) { let lo = 0, hi = arr.length; while (lo < hi) { const m = (lo + hi) >> 1; if (arr[m] < t) lo = m + 1; else hi = m; } return lo; }
function draw() {
  cv.width = Math.max(600, cv.clientWidth);
  cx.clearRect(0, 0, cv.width, cv.height);
  cx.font = "11px sans-serif";
  for (const f of D.faults) {  // fault bands
    if (f[1] < view[0] || f[0] > view[1]) continue;
    cx.fillStyle = "rgba(229,57,53,0.12)";
    cx.fillRect(X(f[0]), TOP - 14, Math.max(2, X(f[1]) - X(f[0])), N * LANE + 14);
    cx.fillStyle = "#c62828"; cx.fillText(f[2], X(Math.max(f[0], view[0])) + 2, TOP - 4);
  }
  for (let n = 0; n < N; n++) {  // lanes
    cx.fillStyle = "#37474f"; cx.fillText(D.nodes[n], 6, Y(n) + 4);
    cx.strokeStyle = "#cfd8dc"; cx.beginPath(); cx.moveTo(LEFT, Y(n)); cx.lineTo(cv.width - 10, Y(n)); cx.stroke();
  }
  for (const r of D.roles) {  // role periods along the lanes
    if (r[2] < view[0] || r[1] > view[1]) continue;
    cx.fillStyle = ROLE_COLOR[r[3]] || "#e0e0e0";
    const rx = X(Math.max(r[1], view[0])), rw = Math.max(1, X(Math.min(r[2], view[1])) - rx);
    cx.fillRect(rx, Y(r[0]) - 5, rw, 10);
    if (rw > 46) { cx.fillStyle = "#263238"; cx.fillText(r[3].replace("_candidate", "") + " " + D.hints.epochShort + r[4], rx + 3, Y(r[0]) - 7); }
  }
  for (const d of D.down) {  // crashed (dark) and paused (striped) periods
    if (d[2] < view[0] || d[1] > view[1]) continue;
    cx.fillStyle = d[3] === "paused" ? "rgba(121,85,72,0.45)" : "#263238";
    cx.fillRect(X(Math.max(d[1], view[0])), Y(d[0]) - 7, Math.max(2, X(Math.min(d[2], view[1])) - X(Math.max(d[1], view[0]))), 14);
  }
  for (const o of D.ops) {  // client requests, from acceptance to answer
    if (o[2] < view[0] || o[1] > view[1]) continue;
    cx.fillStyle = o[3] === 1 ? "rgba(46,125,50,0.6)" : o[3] === 0 ? "rgba(198,40,40,0.6)" : "rgba(96,125,139,0.5)";
    cx.fillRect(X(Math.max(o[1], view[0])), Y(o[0]) + 7, Math.max(1, X(Math.min(o[2], view[1])) - X(Math.max(o[1], view[0]))), 4);
  }
  arrowsDrawn = 0;
  segs.n = 0;
  const from = lowerBound(MS.t, view[0] - D.maxFlight), to = lowerBound(MS.t, view[1] + 1);
  const CAP = 20000, stride = Math.max(1, Math.ceil((to - from) / CAP));  // a sample when too many to draw
  for (let i = from; i < to; i += stride) {
    const end = MS.recv[i] >= 0 ? MS.recv[i] : MS.drop[i] >= 0 ? MS.drop[i] : END;
    if (end < view[0]) continue;
    arrowsDrawn++;
    const x0 = X(MS.t[i]), y0 = Y(MS.from[i]);
    const colour = typeColor(MS.type[i]);
    if (segs.n < CAP) { const k = segs.n++; segs.i[k] = i; segs.x0[k] = x0; segs.y0[k] = y0;
      segs.x1[k] = MS.recv[i] >= 0 ? X(MS.recv[i]) : MS.drop[i] >= 0 ? X(MS.drop[i]) : X(END);
      segs.y1[k] = MS.recv[i] >= 0 ? Y(MS.to[i]) : (Y(MS.from[i]) + Y(MS.to[i])) / 2; }
    if (i === selectedMsg) cx.lineWidth = 3;
    if (MS.recv[i] >= 0) {
      const x1 = X(MS.recv[i]), y1 = Y(MS.to[i]);
      cx.strokeStyle = colour;
      cx.setLineDash(MS.dup[i] ? [3, 2] : []);
      cx.beginPath(); cx.moveTo(x0, y0); cx.lineTo(x1, y1); cx.stroke();
      const a = Math.atan2(y1 - y0, x1 - x0);
      cx.beginPath(); cx.moveTo(x1, y1); cx.lineTo(x1 - 6 * Math.cos(a - 0.4), y1 - 6 * Math.sin(a - 0.4));
      cx.lineTo(x1 - 6 * Math.cos(a + 0.4), y1 - 6 * Math.sin(a + 0.4)); cx.closePath(); cx.fillStyle = cx.strokeStyle; cx.fill();
    } else if (MS.drop[i] < 0) {  // still in flight when the run ended
      cx.setLineDash([1, 3]); cx.strokeStyle = colour;
      cx.beginPath(); cx.moveTo(x0, y0); cx.lineTo(X(END), (Y(MS.from[i]) + Y(MS.to[i])) / 2); cx.stroke();
    } else {  // dropped: the arrow stops where the message died
      const x1 = X(MS.drop[i]), y1 = (Y(MS.from[i]) + Y(MS.to[i])) / 2;
      cx.setLineDash([2, 3]); cx.strokeStyle = colour;
      cx.beginPath(); cx.moveTo(x0, y0); cx.lineTo(x1, y1); cx.stroke(); cx.setLineDash([]);
      cx.fillStyle = "#e53935"; cx.fillText("\u2715", x1 - 4, y1 + 4);
    }
    cx.setLineDash([]);
    cx.lineWidth = 1;
  }
  document.getElementById("sample").textContent = stride > 1 ?
    "Showing 1 in " + stride + " of the " + (to - from) + " messages in view: zoom in to see each one." : "";
  cv.dataset.arrows = String(arrowsDrawn);
  if (firstViolation && firstViolation.t >= view[0] && firstViolation.t <= view[1]) {
    cx.strokeStyle = "#c62828"; cx.lineWidth = 2;
    cx.beginPath(); cx.moveTo(X(firstViolation.t), TOP - 14); cx.lineTo(X(firstViolation.t), TOP + N * LANE); cx.stroke(); cx.lineWidth = 1;
  }
  cx.strokeStyle = "#000"; cx.beginPath(); cx.moveTo(X(cursorT), TOP - 14); cx.lineTo(X(cursorT), TOP + N * LANE); cx.stroke();
  cx.fillStyle = "#546e7a"; cx.fillText(fmt(view[0]), LEFT, cv.height - 4);
  cx.fillText(fmt(view[1]), cv.width - 90, cv.height - 4);
}
// A step function [t, v, t, v, ...]: its value at time t, or -1 before the first step.
function stepAt(tv, t) { let lo = 0, hi = tv.length >> 1; while (lo < hi) { const m = (lo + hi) >> 1; if (tv[2 * m] <= t) lo = m + 1; else hi = m; }
  return lo ? tv[2 * lo - 1] : -1; }
// The protocol's state columns (an acceptor's promise...), latest value at t.
const stateCol = (n, c, t) => { const v = stepAt(D.state.nodes[n][c], t); return v < 0 ? "" : D.values[v]; };
// The log view. Entry versions per node are flat [index, from, to, epoch,
// value], sorted by index then time: a node's log at t is, per index, the
// version with from <= t < to (to -1: never replaced).
const LOGWIN = 40;
const LOG = D.log ? D.log.nodes.map(l => {
  // Versions arrive delta-coded (index, from, value; to as a lifetime): decode in place.
  for (let k = 0, pi = 0, pf = 0, pv = 0; k < l.v.length; k += 5) {
    pi += l.v[k]; pf += l.v[k + 1]; pv += l.v[k + 4];
    l.v[k] = pi; l.v[k + 1] = pf; l.v[k + 2] = l.v[k + 2] < 0 ? -1 : pf + l.v[k + 2]; l.v[k + 4] = pv; }
  const idx = []; for (let k = 0; k < l.v.length; k += 5) idx.push(l.v[k]);
  const marks = new Map(); for (let k = 0; k < l.marks.length; k += 3) {
    if (!marks.has(l.marks[k])) marks.set(l.marks[k], []); marks.get(l.marks[k]).push([l.marks[k + 1], l.marks[k + 2]]); }
  return {v: l.v, idx, len: l.len, commit: l.commit, applied: l.applied, marks}; }) : [];
function logAt(n, t) {
  const l = LOG[n], len = stepAt(l.len, t), commit = stepAt(l.commit, t), applied = stepAt(l.applied, t);
  const entries = [];
  const first = Math.max(0, len - LOGWIN + 1);
  for (let i = first; i <= len; i++) {
    let k = lowerBound(l.idx, i), e = null, replaced = 0, was = "";
    for (; k < l.idx.length && l.idx[k] === i; k++) {
      const from = l.v[5 * k + 1], to = l.v[5 * k + 2];
      if (from <= t && (to < 0 || t < to)) e = {index: i, epoch: l.v[5 * k + 3], value: D.values[l.v[5 * k + 4]]};
      else if (from <= t) { replaced++; was = D.log.epoch + " " + l.v[5 * k + 3] + " " + D.values[l.v[5 * k + 4]]; }
    }
    if (!e) { if (i > 0) entries.push({index: i, gap: true}); continue; }
    e.committed = D.log.commitIsIndex ? i <= commit : (l.marks.get(i) || []).some(m => m[0] <= t && (m[1] < 0 || t < m[1]));
    e.applied = i <= applied;
    e.replaced = replaced; e.was = was;
    entries.push(e);
  }
  return {len, commit, applied, entries, earlier: first > 1};
}
function showLogs() {
  const box = document.getElementById("logs");
  if (!D.log) { box.innerHTML = ""; return; }
  let html = "<table><thead><tr><th>node</th><th>last " + esc(D.log.index) + "</th><th>" + esc(D.log.commitLabel) +
    "</th><th>applied</th><th>log (" + esc(D.log.epoch) + " above its " + esc(D.log.index) +
    "; solid: " + esc(D.log.commitLabel) + ", underlined: applied, red: replaced an earlier entry)</th></tr></thead><tbody>";
  const show = v => v < 0 ? "\u2013" : String(v);
  for (let n = 0; n < LOG.length && n < N; n++) {
    const L = logAt(n, cursorT);
    html += "<tr class=\"log\" data-node=\"" + esc(D.nodes[n]) + "\" data-len=\"" + L.len + "\" data-commit=\"" + L.commit +
      "\" data-applied=\"" + L.applied + "\"><td>" + esc(D.nodes[n]) + "</td><td>" + show(L.len) + "</td><td>" + show(L.commit) +
      "</td><td>" + show(L.applied) + "</td><td>" + (L.earlier ? "<span title=\"earlier entries not shown\">&hellip;</span>" : "");
    for (const e of L.entries) {
      if (e.gap) { html += "<span class=\"le gap\" data-index=\"" + e.index + "\" title=\"no entry\"><small>" + e.index + "</small>&middot;</span>"; continue; }
      const title = D.log.index + " " + e.index + ", " + D.log.epoch + " " + e.epoch + ": " + e.value +
        (e.committed ? " (" + D.log.commitLabel + ")" : "") + (e.applied ? " (applied)" : "") + (e.replaced ? "; replaced " + e.was : "");
      html += "<span class=\"le" + (e.committed ? " c" : "") + (e.applied ? " a" : "") + (e.replaced ? " re" : "") +
        "\" style=\"background:hsl(" + ((e.epoch * 47) % 360 + 360) % 360 + ",60%,86%)\" data-index=\"" + e.index +
        "\" data-epoch=\"" + e.epoch + "\" data-value=\"" + esc(e.value) + "\" title=\"" + esc(title) + "\"><small>" + e.index + "</small>" + e.epoch + "</span>";
    }
    html += "</td></tr>";
  }
  box.innerHTML = html + "</tbody></table>";
}
function stateAt(t) {
  const rows = D.nodes.map(n => ({node: n, status: "up", role: "", term: "", last: ""}));
  for (const r of D.roles) if (r[1] <= t && t < r[2]) { rows[r[0]].role = r[3]; rows[r[0]].term = r[4]; }
  for (const d of D.down) if (d[1] <= t && t < d[2]) rows[d[0]].status = d[3];
  const upto = lowerBound(EV.t, t + 1);
  for (let i = upto - 1, seen = 0, looked = 0; i >= 0 && seen < N && looked < 200000; i--, looked++) {
    const n = EV.node[i];
    if (n >= 0 && !rows[n].last) { rows[n].last = fmt(EV.t[i]) + " " + evText(i); seen++; }
  }
  return rows;
}
function showState() {
  document.getElementById("cursor-time").textContent = "t = " + fmt(cursorT);
  const cols = D.state.labels;
  document.querySelector("#state tbody").innerHTML = stateAt(cursorT).map((r, n) =>
    "<tr><td>" + esc(r.node) + "</td><td>" + esc(r.status) + "</td><td>" + esc(r.role) + "</td><td>" + esc(r.term) + "</td>" +
    cols.map((_, c) => "<td class='st'>" + esc(n < D.state.nodes.length ? stateCol(n, c, cursorT) : "") + "</td>").join("") +
    "<td>" + esc(r.last) + "</td></tr>").join("");
  const lo = Math.max(0, cursorIdx - 12), hi = Math.min(EV.n, cursorIdx + 18);
  let html = "";
  for (let i = lo; i < hi; i++) {
    html += "<div data-i='" + i + "'" + (i === cursorIdx ? " class='cur'" : "") + ">" + fmt(EV.t[i]) + "  " +
      esc(nodeName(EV.node[i])) + "  " + esc(evText(i)) + "</div>";
  }
  document.getElementById("events").innerHTML = html;
  document.getElementById("slider").value = String(Math.round(cursorT / END * 1000));
  showLogs();
}
// A message's whole story, for the tooltip and the detail line.
function msgDetail(i) {
  const fate = MS.recv[i] >= 0 ? "delivered " + fmt(MS.recv[i]) : MS.drop[i] >= 0 ? "dropped " + fmt(MS.drop[i]) : "in flight at the end";
  const info = msgInfo(i);
  return D.types[MS.type[i]] + "  " + nodeName(MS.from[i]) + " \u2192 " + nodeName(MS.to[i]) + "  msg=" + MS.id[i] +
    (MS.dup[i] ? " (duplicate copy)" : "") + "\nsent " + fmt(MS.t[i]) + ", " + fate + (info ? "\n" + info.match(/[^\s=]+="[^"]*"|\S+/g).join("\n") : "");
}
function selectMsg(i) {
  selectedMsg = i;
  document.getElementById("msg-detail").textContent = i >= 0 ? msgDetail(i).split("\n").join("   ") : "";
  draw();
}
// The arrow under the pointer (within 5 px), or -1.
function hitArrow(x, y) {
  let best = -1, bestD = 25;
  for (let k = 0; k < segs.n; k++) {
    const dx = segs.x1[k] - segs.x0[k], dy = segs.y1[k] - segs.y0[k], l2 = dx * dx + dy * dy;
    const u = l2 > 0 ? Math.max(0, Math.min(1, ((x - segs.x0[k]) * dx + (y - segs.y0[k]) * dy) / l2)) : 0;
    const ex = segs.x0[k] + u * dx - x, ey = segs.y0[k] + u * dy - y, d = ex * ex + ey * ey;
    if (d < bestD) { bestD = d; best = segs.i[k]; }
  }
  return best;
}
function setCursor(t, idx) {
  cursorT = Math.max(0, Math.min(END, t));
  cursorIdx = idx !== undefined ? idx : Math.max(0, lowerBound(EV.t, cursorT + 1) - 1);
  if (cursorT < view[0] || cursorT > view[1]) { const w = view[1] - view[0]; view = [Math.max(0, cursorT - w / 2), Math.max(0, cursorT - w / 2) + w]; }
  draw(); showState();
}
function stepKind(d) {
  const k = Number(document.getElementById("kind-sel").value);
  for (let i = cursorIdx + d; i >= 0 && i < EV.n; i += d) if (EV.kind[i] === k) { setCursor(EV.t[i], i); return; }
}
function step(d) { if (!EV.n) return; const i = Math.max(0, Math.min(EV.n - 1, cursorIdx + d)); setCursor(EV.t[i], i); }
function zoom(f, at) { const c = at !== undefined ? at : cursorT, w = Math.max(1000, (view[1] - view[0]) * f); view = [Math.max(0, c - w / 2), Math.max(0, c - w / 2) + w]; draw(); }
function jumpToViolation() {
  if (!firstViolation) return;
  const w = Math.max(1e6, Math.min(END, (view[1] - view[0]) / 4));
  view = [Math.max(0, firstViolation.t - w / 2), Math.max(0, firstViolation.t - w / 2) + w];
  setCursor(firstViolation.t);
  document.getElementById("violation").scrollIntoView();
}
document.getElementById("prev").onclick = () => step(-1);
document.getElementById("next").onclick = () => step(1);
document.getElementById("zoom-in").onclick = () => zoom(0.5);
document.getElementById("zoom-out").onclick = () => zoom(2);
document.getElementById("reset").onclick = () => { view = [0, END]; draw(); };
document.getElementById("jump-violation").onclick = jumpToViolation;
document.getElementById("slider").oninput = e => setCursor(Number(e.target.value) / 1000 * END);
document.getElementById("prev-kind").onclick = () => stepKind(-1);
document.getElementById("next-kind").onclick = () => stepKind(1);
document.addEventListener("keydown", e => {
  if (e.target && e.target.tagName === "SELECT") return;
  if (e.key === "n") step(1); else if (e.key === "p") step(-1); else if (e.key === "v") jumpToViolation();
  else if (e.key === "]") stepKind(1); else if (e.key === "[") stepKind(-1); });
document.getElementById("events").addEventListener("click", e => {
  const row = e.target.closest("div[data-i]"); if (!row) return;
  const i = Number(row.dataset.i); setCursor(EV.t[i], i);
  if (EV.msg[i] >= 0) selectMsg(EV.msg[i]);
});
const tip = document.getElementById("tip");
let dragFrom = null;
cv.addEventListener("mousedown", e => { dragFrom = {x: e.offsetX, view: view.slice(), moved: false}; });
cv.addEventListener("mouseleave", () => { tip.hidden = true; });
cv.addEventListener("mousemove", e => {
  if (!dragFrom) { const i = hitArrow(e.offsetX, e.offsetY); tip.hidden = i < 0;
    if (i >= 0) { tip.textContent = msgDetail(i); tip.style.left = (e.clientX + 12) + "px"; tip.style.top = (e.clientY + 12) + "px"; }
    return; }
  const dx = e.offsetX - dragFrom.x; if (Math.abs(dx) > 3) dragFrom.moved = true;
  const dt = -dx / (cv.width - LEFT - 10) * (dragFrom.view[1] - dragFrom.view[0]); view = [dragFrom.view[0] + dt, dragFrom.view[1] + dt]; draw(); });
cv.addEventListener("mouseup", e => { if (dragFrom && !dragFrom.moved) { const i = hitArrow(e.offsetX, e.offsetY);
    if (i >= 0) selectMsg(i); else setCursor(view[0] + (e.offsetX - LEFT) / (cv.width - LEFT - 10) * (view[1] - view[0])); }
  dragFrom = null; });
cv.addEventListener("wheel", e => { e.preventDefault(); zoom(e.deltaY > 0 ? 1.25 : 0.8, view[0] + (e.offsetX - LEFT) / (cv.width - LEFT - 10) * (view[1] - view[0])); }, {passive: false});
window.addEventListener("resize", draw);
draw(); showState();
// Self-test for the browser test (report.html#selftest): exercises the same
// handlers a person uses and writes what it saw into the page.
if (location.hash.startsWith("#selftest")) {
  // Optional parameters: t (a cursor time for the log view), msg (a
  // message type to hover and click).
  const q = new URLSearchParams(location.hash.slice(1).replace(/^selftest&?/, ""));
  const out = {lanes: Number(cv.dataset.lanes), arrows: Number(cv.dataset.arrows), expectedArrows: MS.n};
  const before = document.querySelector("#state tbody").textContent;
  for (let i = 0; i < 40; i++) document.getElementById("next").click();
  out.stateChanged = document.querySelector("#state tbody").textContent !== before;
  out.cursorAfterSteps = cursorT;
  document.getElementById("prev").click();
  out.stepBack = cursorT <= out.cursorAfterSteps;
  if (firstViolation) {
    document.getElementById("reset").click();
    document.getElementById("jump-violation").click();
    out.violationT = firstViolation.t;
    out.cursorAtViolation = cursorT;
    out.violationVisible = firstViolation.t >= view[0] && firstViolation.t <= view[1];
  }
  if (q.has("t")) {
    setCursor(Number(q.get("t")));
    out.logT = cursorT;
    out.eventRows = [...document.querySelectorAll("#events div[data-i]")].map(r => [Number(r.dataset.i), r.textContent]);
    out.stateAtT = [...document.querySelectorAll("#state tbody tr")].map(r => [...r.querySelectorAll("td.st")].map(c => c.textContent));
    out.logs = [...document.querySelectorAll("#logs tr.log")].map(r => ({node: r.dataset.node, len: Number(r.dataset.len),
      commit: Number(r.dataset.commit), applied: Number(r.dataset.applied),
      entries: [...r.querySelectorAll(".le:not(.gap)")].map(x => [Number(x.dataset.index), Number(x.dataset.epoch), x.dataset.value,
        x.classList.contains("c"), x.classList.contains("a"), x.classList.contains("re")])}));
  }
  if (q.has("msg")) {  // hover the first delivered message of that type whose arrow is not crossed at its middle
    const type = D.types.indexOf(q.get("msg"));
    for (let r = 0; r < MS.n && out.hover === undefined; r++) {
      if (MS.type[r] !== type || MS.recv[r] < 0 || MS.dup[r]) continue;
      if (/entries=/.test(msgInfo(r)) && !/entries=[1-9]/.test(msgInfo(r))) continue;  // one that carries entries
      view = [Math.max(0, MS.t[r] - 2e5), MS.recv[r] + 2e5]; draw();
      const xm = (X(MS.t[r]) + X(MS.recv[r])) / 2, ym = (Y(MS.from[r]) + Y(MS.to[r])) / 2;
      if (hitArrow(xm, ym) !== r) continue;
      const rect = cv.getBoundingClientRect(), sx = rect.width / cv.width;
      cv.dispatchEvent(new MouseEvent("mousemove", {bubbles: true, clientX: rect.left + cv.clientLeft + xm * sx, clientY: rect.top + cv.clientTop + ym * sx}));
      out.hover = {msg: MS.id[r], shown: !tip.hidden, tip: tip.textContent};
      // The delivery's row in the event list: its text, and a click on it.
      let d = -1;
      for (let i = 0; i < EV.n; i++) if (EV.msg[i] === r && D.kinds[EV.kind[i]] === "deliver") { d = i; break; }
      if (d >= 0) {
        setCursor(EV.t[d], d);
        const row = document.querySelector("#events div[data-i='" + d + "']");
        out.deliverRow = row ? row.textContent : "";
        if (row) row.click();
        out.detail = document.getElementById("msg-detail").textContent;
      }
    }
  }
  { // Step to the next event of a chosen kind, twice.
    const kind = D.kinds.indexOf(q.get("kind") || "commit");
    if (kind >= 0) {
      document.getElementById("kind-sel").value = String(kind);
      setCursor(0, 0);
      document.getElementById("next-kind").click();
      const a = cursorIdx; document.getElementById("next-kind").click(); const b = cursorIdx;
      document.getElementById("prev-kind").click();
      out.kindStep = {kind: D.kinds[kind], first: a, second: b, back: cursorIdx, kinds: [EV.kind[a], EV.kind[b]].map(k => D.kinds[k]),
        firstExpected: EV.kind.indexOf(kind)};
    }
  }
  out.narration = document.getElementById("narration").hidden ? "" : document.getElementById("narration").textContent;
  out.legend = document.getElementById("legend").textContent;
  out.stateLabels = D.state.labels;
  out.stateRows = [...document.querySelectorAll("#state tbody tr")].map(r => [...r.querySelectorAll("td.st")].map(c => c.textContent));
  out.errors = errors;
  const pre = document.getElementById("dsim-selftest");
  pre.textContent = JSON.stringify(out);
}
// Ready: everything is drawn. data-ms: milliseconds since navigation began.
const ready = document.createElement("div"); ready.id = "dsim-ready"; ready.hidden = true;
ready.dataset.ms = String(Math.round(performance.now())); document.body.appendChild(ready);
</script></body></html>
)HTML";

}  // namespace dsim::analysis
