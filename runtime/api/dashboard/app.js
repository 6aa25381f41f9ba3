// kforge dashboard: plain JavaScript, no dependencies, works offline.
// Reads the daemon's JSON API every 2 s and draws SVG charts. A token for a
// daemon that needs one comes from the page address (#...&token=T) once and
// is kept in localStorage. Routes: #/ (first campaign), #/c/C (campaign),
// #/t/C/T (task), #/k/HASH (candidate).
'use strict';

const REFRESH_MS = 2000;
const SVG = 'http://www.w3.org/2000/svg';
const $ = (sel) => document.querySelector(sel);

function token() {
  const m = location.hash.match(/[&?]token=([^&]+)/);
  if (m) localStorage.setItem('kforge_token', decodeURIComponent(m[1]));
  return localStorage.getItem('kforge_token') || '';
}

async function api(path, method = 'GET') {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  const r = await fetch(path, { method, headers });
  const body = await r.json();
  if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText);
  return body;
}

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgEl(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function link(href, text, attrs = {}) {
  return el('a', Object.assign({ href }, attrs), text);
}

const pad2 = (n) => String(n).padStart(2, '0');
const fmt = {
  speedup: (x) => (x > 0 ? x.toFixed(2) + '×' : '–'),
  ns: (x) => (x > 0 ? (x >= 1e6 ? (x / 1e6).toFixed(2) + ' ms' : (x / 1e3).toFixed(1) + ' µs') : '–'),
  share: (x) => (100 * x).toFixed(0) + '%',
  hm: (ms) => { const d = new Date(ms); return pad2(d.getHours()) + ':' + pad2(d.getMinutes()); },
  date: (ms) => { const d = new Date(ms); return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()); },
  when: (ms) => fmt.date(ms) + ' ' + fmt.hm(ms),
  minutes: (ms) => (ms >= 3600000 ? (ms / 3600000).toFixed(1) + ' h' : ms >= 60000 ? Math.round(ms / 60000) + ' min' : Math.round(ms / 1000) + ' s'),
  short: (h) => (h || '').slice(0, 12),
};

function badge(state) {
  return el('span', { class: 'badge state-' + state, 'data-k': 'state' }, state);
}

// Ticks of a wall-clock axis from t0 to t1 (ms): a round step giving 3 to 6 ticks, labelled
// HH:MM, with the date where a tick starts a new day (or on the first, when the run spans days).
function timeTicks(t0, t1) {
  const steps = [1 / 60, 2 / 60, 5 / 60, 1 / 6, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => Math.round(m * 60000));
  const span = Math.max(1, t1 - t0);
  const step = steps.find((s) => span / s <= 5) || steps[steps.length - 1];
  const off = new Date(t0).getTimezoneOffset() * 60000;
  const multiDay = fmt.date(t0) !== fmt.date(t1);
  const ticks = [];
  let prevDay = '';
  for (let t = Math.ceil((t0 - off) / step) * step + off; t <= t1; t += step) {
    const day = fmt.date(t);
    const hm = step < 60000 ? fmt.hm(t) + ':' + pad2(new Date(t).getSeconds()) : fmt.hm(t);
    const label = multiDay && day !== prevDay ? `${day.slice(5)} ${hm}` : hm;
    ticks.push({ v: t, label });
    prevDay = day;
  }
  return ticks;
}

// A round axis from 0 to at least `max`: a step of 1, 2, 2.5 or 5 times a power of ten giving
// about 4 intervals. Returns { max, ticks }.
function niceAxis(max, fmtLabel) {
  const raw = Math.max(max, 1e-9) / 4;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const mult = [1, 2, 2.5, 5, 10].find((m) => m * mag >= raw * (1 - 1e-9));
  const step = mult * mag;
  const top = Math.ceil(max / step - 1e-9) * step;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (mult === 2.5 ? 1 : 0));
  const ticks = [];
  for (let i = 0; i * step <= top + step * 1e-9; i++) {
    const v = i * step;
    ticks.push({ v, label: fmtLabel ? fmtLabel(v) : v.toFixed(decimals) });
  }
  return { max: top, ticks };
}

function numTicks(min, max, n = 4) {
  const out = [];
  for (let i = 0; i <= n; i++) {
    const v = min + ((max - min) * i) / n;
    out.push({ v, label: Number.isInteger(v) ? String(v) : v.toFixed(max - min < 4 ? 2 : 1) });
  }
  return out;
}

// A line chart: opts = { series: [{name, color, points: [[x, y]], dots}], x: {min, max, ticks},
// y: {min, max, ticks, fmt}, xlabel, ylabel }. Every path carries its series' name, point count
// and last value (data-series, data-n, data-last) for the browser test.
function plot(target, opts) {
  const div = $(target);
  div.replaceChildren();
  const svg = svgEl('svg');
  const W = 420, H = 220, L = 46, R = opts.y2 ? 40 : 14, T = 22, B = 32;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const { x: X, y: Y } = opts;
  const x = (v) => L + ((v - X.min) / (X.max - X.min || 1)) * (W - L - R);
  const y = (v) => H - B - ((v - Y.min) / (Y.max - Y.min || 1)) * (H - T - B);
  for (const t of Y.ticks) {
    svg.appendChild(svgEl('line', { x1: L, y1: y(t.v), x2: W - R, y2: y(t.v), stroke: '#eef0f3' }));
    svg.appendChild(svgEl('text', { x: L - 4, y: y(t.v) + 4, 'text-anchor': 'end' }, t.label));
  }
  for (const t of (opts.y2 && opts.y2.ticks) || []) {
    svg.appendChild(svgEl('text', { x: W - R + 4, y: y(t.v) + 4, 'text-anchor': 'start' }, t.label));
  }
  for (const t of X.ticks) {
    svg.appendChild(svgEl('line', { x1: x(t.v), y1: H - B, x2: x(t.v), y2: H - B + 3, stroke: '#999' }));
    svg.appendChild(svgEl('text', { x: x(t.v), y: H - B + 14, 'text-anchor': 'middle', class: 'tick-x' }, t.label));
  }
  svg.appendChild(svgEl('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#999' }));
  svg.appendChild(svgEl('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#999' }));
  svg.appendChild(svgEl('text', { x: (L + W - R) / 2, y: H - 2, 'text-anchor': 'middle' }, opts.xlabel || ''));
  svg.appendChild(svgEl('text', { x: 4, y: 12 }, opts.ylabel || ''));
  for (const s of opts.series) {
    const d = s.points.map((p, i) => (i ? 'L' : 'M') + x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ');
    const last = s.points.length ? s.points[s.points.length - 1][1] : '';
    if (s.points.length) {
      svg.appendChild(svgEl('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'data-series': s.name || '', 'data-n': s.points.length, 'data-last': last }));
    }
    if (s.dots) {
      for (const p of s.points) svg.appendChild(svgEl('circle', { cx: x(p[0]), cy: y(p[1]), r: 3, fill: s.color, 'data-x': p[0], 'data-y': p[1] }));
    }
  }
  div.appendChild(svg);
  if (opts.series.length > 1) {
    const legend = el('div', { class: 'legend' });
    for (const s of opts.series) {
      legend.appendChild(el('span', { class: 'swatch', style: `background:${s.color}` }));
      legend.appendChild(el('span', {}, s.name));
    }
    div.appendChild(legend);
  }
}

function barChart(target, bars, ylabel) {
  const div = $(target);
  div.replaceChildren();
  const svg = svgEl('svg');
  const W = 420, H = 220, L = 46, R = 14, T = 22, B = 32;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const axis = niceAxis(Math.max(4, ...bars.map((b) => b.value)), (v) => String(Math.round(v)));
  const ymax = axis.max;
  const y = (v) => H - B - (v / ymax) * (H - T - B);
  for (const t of axis.ticks) svg.appendChild(svgEl('text', { x: L - 4, y: y(t.v) + 4, 'text-anchor': 'end' }, t.label));
  svg.appendChild(svgEl('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#999' }));
  svg.appendChild(svgEl('text', { x: 4, y: 12 }, ylabel));
  const slot = (W - L - R) / Math.max(1, bars.length);
  bars.forEach((b, i) => {
    const x0 = L + i * slot + slot * 0.15;
    const g = svgEl('g', { 'data-label': b.label, 'data-value': b.value });
    g.appendChild(svgEl('rect', { x: x0, y: y(b.value), width: slot * 0.7, height: Math.max(0, y(0) - y(b.value)), fill: b.color || '#3c7be0' }));
    g.appendChild(svgEl('text', { x: x0 + slot * 0.35, y: y(b.value) - 3, 'text-anchor': 'middle', class: 'bar-value' }, b.text));
    // Labels alternate between two rows when the bars are many, so neighbours never overlap.
    const row = bars.length > 6 && i % 2 ? 11 : 0;
    g.appendChild(svgEl('text', { x: x0 + slot * 0.35, y: H - B + 12 + row, 'text-anchor': 'middle' }, b.label));
    svg.appendChild(g);
  });
  div.appendChild(svg);
}

async function control(name, action) {
  try {
    await api(`/api/campaigns/${encodeURIComponent(name)}/${action}`, 'POST');
  } catch (e) {
    $('#status').textContent = e.message;
  }
  refresh();
}

function renderCampaigns(list) {
  const body = $('#campaigns tbody');
  body.replaceChildren();
  for (const c of list) {
    const tr = el('tr', { 'data-campaign': c.name });
    const name = el('td');
    name.appendChild(link('#/c/' + encodeURIComponent(c.name), c.name, { 'data-k': 'name' }));
    tr.appendChild(name);
    const st = el('td');
    st.appendChild(badge(c.state));
    tr.appendChild(st);
    const prog = el('td');
    const bar = el('div', { class: 'bar', title: `${c.evaluations} of ${c.budget}` });
    bar.appendChild(el('div', { style: `width:${c.budget ? Math.min(100, (100 * c.evaluations) / c.budget) : 0}%` }));
    prog.appendChild(bar);
    tr.appendChild(prog);
    tr.appendChild(el('td', { class: 'num', 'data-k': 'evaluations' }, `${c.evaluations} / ${c.budget}`));
    tr.appendChild(el('td', { class: 'num', 'data-k': 'feasible' }, String(c.feasible)));
    const notStarted = c.tasks - (c.tasks_started === undefined ? c.tasks : c.tasks_started);
    tr.appendChild(el('td', { class: 'num', 'data-k': 'tasks_done', title: notStarted > 0 ? `${notStarted} not started yet` : '' }, `${c.tasks_done} / ${c.tasks}`));
    const ctl = el('td');
    for (const action of ['pause', 'resume', 'stop']) {
      const b = el('button', { 'data-action': action }, action);
      b.onclick = () => control(c.name, action);
      ctl.appendChild(b);
    }
    tr.appendChild(ctl);
    body.appendChild(tr);
  }
}

function renderDevices(devices) {
  const div = $('#devices');
  div.replaceChildren();
  for (const d of devices) {
    div.appendChild(el('p', { class: 'muted', 'data-device': d.device },
      `verifier ${d.device}: queue ${d.queued + d.waiting_run}, busy ${fmt.share(d.busy_share)}, ${d.completed} verdicts`));
  }
}

// Every error in full: campaign files that do not load (daemon), campaigns that failed.
function renderErrors(info, list) {
  const ul = $('#error-list');
  ul.replaceChildren();
  for (const e of info.errors || []) {
    const li = el('li', { 'data-error': 'file', 'data-file': e.file });
    li.appendChild(el('code', {}, e.file));
    li.appendChild(el('pre', { 'data-k': 'message' }, e.message));
    ul.appendChild(li);
  }
  for (const c of list) {
    if (c.state !== 'failed' && c.state !== 'invalid') continue;
    const li = el('li', { 'data-error': 'campaign', 'data-campaign': c.name });
    li.appendChild(document.createTextNode(`campaign ${c.name} ${c.state}` + (c.file ? ` (${c.file})` : '')));
    li.appendChild(el('pre', { 'data-k': 'message' }, c.note || ''));
    ul.appendChild(li);
  }
  $('#errors').hidden = ul.children.length === 0;
}

function renderStall(c, s) {
  const div = $('#stall');
  const st = s && s.stall;
  div.hidden = !(st && st.stalled);
  if (div.hidden) return;
  const what = st.since_run_start ? 'since this run began at' : 'since';
  div.dataset.since = st.since_ms;
  div.textContent = `Campaign ${c.name}: no task has improved its best ${what} ${fmt.when(st.since_ms)} ` +
    `(${fmt.minutes(st.now_ms - st.since_ms)}; the warning shows after ${st.minutes} min, [daemon] stall_minutes).`;
}

const taskView = { rows: [] };

function renderTaskTable() {
  const { rows, campaign } = taskView;
  const q = $('#task-filter').value.trim().toLowerCase();
  const sort = $('#task-sort').value;
  const top = Number($('#task-top').value);
  const shown = rows.filter((t) => !q || t.id.toLowerCase().includes(q) || (t.family || '').toLowerCase().includes(q) || t.phase.includes(q));
  const by = {
    speedup: (a, b) => b.best_speedup - a.best_speedup || a.id.localeCompare(b.id),
    evaluations: (a, b) => b.evaluations - a.evaluations || a.id.localeCompare(b.id),
    id: (a, b) => a.id.localeCompare(b.id),
    phase: (a, b) => a.phase.localeCompare(b.phase) || a.id.localeCompare(b.id),
  };
  shown.sort(by[sort]);
  const list = top > 0 ? shown.slice(0, top) : shown;
  $('#task-count').textContent = `showing ${list.length} of ${shown.length}` + (q ? ` matching “${q}”` : '') + ` (${rows.length} tasks)`;
  const smax = Math.max(1, ...rows.map((t) => t.best_speedup));
  const body = $('#tasks tbody');
  body.replaceChildren();
  list.forEach((t, i) => {
    const tr = el('tr', { 'data-task': t.id, class: t.failed ? 'failed' : '' });
    tr.appendChild(el('td', { class: 'num muted' }, String(i + 1)));
    const a = el('td');
    a.appendChild(link(`#/t/${encodeURIComponent(campaign)}/${encodeURIComponent(t.id)}`, t.id));
    tr.appendChild(a);
    tr.appendChild(el('td', {}, t.family));
    tr.appendChild(el('td', { 'data-k': 'phase', title: t.stop_reason || '' }, t.phase));
    tr.appendChild(el('td', { class: 'num', 'data-k': 'evaluations' }, String(t.evaluations)));
    tr.appendChild(el('td', { class: 'num', 'data-k': 'feasible' }, String(t.feasible)));
    tr.appendChild(el('td', { class: 'num', 'data-k': 'best_speedup' }, fmt.speedup(t.best_speedup)));
    const bar = el('td');
    const b = el('div', { class: 'hbar' });
    b.appendChild(el('div', { class: t.best_speedup >= 1 ? 'up' : 'down', style: `width:${(100 * t.best_speedup) / smax}%` }));
    bar.appendChild(b);
    tr.appendChild(bar);
    tr.appendChild(el('td', { class: 'num' }, fmt.ns(t.best_latency_ns)));
    body.appendChild(tr);
  });
}

for (const id of ['#task-filter', '#task-sort', '#task-top']) $(id).addEventListener('input', renderTaskTable);

function renderSeries(c, s, h) {
  const pts = s.points;
  const t0 = pts.length ? pts[0].t_ms : Date.now();
  const t1 = pts.length ? Math.max(t0 + 10000, pts[pts.length - 1].t_ms) : t0 + 10000;
  const gaxis = niceAxis(Math.max(1.5, ...pts.map((p) => p.geomean_correct)));
  const gmax = gaxis.max;
  const timeAxis = { min: t0, max: t1, ticks: timeTicks(t0, t1) };
  const xlabel = `wall-clock time (local), from ${fmt.when(t0)}`;
  plot('#chart-geomean', {
    series: [
      { name: 'geomean, all tasks', color: '#3c7be0', points: pts.map((p) => [p.t_ms, p.geomean]) },
      { name: 'correct tasks only', color: '#9bb7e6', points: pts.map((p) => [p.t_ms, p.geomean_correct]) },
    ],
    x: timeAxis, y: { min: 0, max: gmax, ticks: gaxis.ticks }, xlabel, ylabel: '× ref',
  });
  plot('#chart-fastp-time', {
    series: [
      { name: 'fast_0', color: '#7a8494', points: pts.map((p) => [p.t_ms, p.fast_0]) },
      { name: 'fast_1', color: '#1c8a3c', points: pts.map((p) => [p.t_ms, p.fast_1]) },
      { name: 'fast_2', color: '#8a3cc2', points: pts.map((p) => [p.t_ms, p.fast_2]) },
    ],
    x: timeAxis, y: { min: 0, max: 1, ticks: numTicks(0, 1).map((t) => ({ v: t.v, label: fmt.share(t.v) })) }, xlabel, ylabel: 'share',
  });
  const eaxis = niceAxis(Math.max(4, s.evaluations), (v) => String(Math.round(v)));
  const emax = eaxis.max;
  plot('#chart-evals', {
    series: [
      { name: 'geomean', color: '#3c7be0', points: pts.map((p) => [p.evaluations, p.geomean / gmax]) },
      { name: 'fast_1', color: '#1c8a3c', points: pts.map((p) => [p.evaluations, p.fast_1]) },
    ],
    x: { min: 0, max: emax, ticks: eaxis.ticks },
    y: { min: 0, max: 1, ticks: gaxis.ticks.map((t) => ({ v: t.v / gmax, label: t.label })) },
    y2: { ticks: numTicks(0, 1).map((t) => ({ v: t.v, label: fmt.share(t.v) })) },
    xlabel: 'evaluations committed', ylabel: 'geomean × ref (left), fast_1 share (right)',
  });
  const hp = h.points;
  const h0 = hp.length ? hp[0].t_ms : t0;
  const h1 = hp.length ? Math.max(h0 + 10000, hp[hp.length - 1].t_ms) : h0 + 10000;
  const haxis = niceAxis(Math.max(4, c.budget, ...hp.map((p) => p.evaluations)), (v) => String(Math.round(v)));
  const ymax = haxis.max;
  plot('#chart-history', {
    series: [
      { name: 'evaluations', color: '#3c7be0', points: hp.map((p) => [p.t_ms, p.evaluations]) },
      { name: 'feasible', color: '#1c8a3c', points: hp.map((p) => [p.t_ms, p.feasible]) },
    ],
    x: { min: h0, max: h1, ticks: timeTicks(h0, h1) },
    y: { min: 0, max: ymax, ticks: haxis.ticks },
    xlabel: `wall-clock time (local), from ${fmt.when(h0)}`, ylabel: 'evaluations',
  });
  const last = pts[pts.length - 1];
  const fig = $('#campaign-figures');
  fig.replaceChildren();
  if (last) {
    const tasks = s.tasks;
    fig.appendChild(document.createTextNode('Now: geomean '));
    fig.appendChild(el('b', { 'data-k': 'geomean' }, last.geomean.toFixed(3) + '×'));
    fig.appendChild(document.createTextNode(` over all ${tasks} tasks (`));
    fig.appendChild(el('span', { 'data-k': 'geomean_correct' }, last.geomean_correct.toFixed(3) + '×'));
    fig.appendChild(document.createTextNode(' over the correct ones), fast_1 '));
    fig.appendChild(el('b', { 'data-k': 'fast_1' }, fmt.share(last.fast_1)));
    fig.appendChild(document.createTextNode(` (${Math.round(last.fast_1 * tasks)} of ${tasks} tasks faster than the reference), fast_0 `));
    fig.appendChild(el('span', { 'data-k': 'fast_0' }, fmt.share(last.fast_0)));
    fig.appendChild(document.createTextNode(`; ${s.evaluations} evaluations, last improvement ` +
      (s.last_improvement_ms ? fmt.when(s.last_improvement_ms) : 'none') + '.'));
  }
}

async function renderCampaign(name) {
  const enc = encodeURIComponent(name);
  const [c, h, s] = await Promise.all([api('/api/campaigns/' + enc), api(`/api/campaigns/${enc}/history`), api(`/api/campaigns/${enc}/series`)]);
  $('#campaign-name').textContent = c.name;
  const st = $('#campaign-state');
  st.textContent = c.state;
  st.className = 'badge state-' + c.state;
  $('#campaign-note').textContent = c.note || '';
  renderStall(c, s);
  renderSeries(c, s, h);
  lineChart('#chart-fastp', c.fast_p);
  // Tasks by best speedup: readable at any number of tasks (the table below names them).
  const bins = [['none', (x) => !(x > 0)], ['<1×', (x) => x > 0 && x < 1], ['1–1.5×', (x) => x >= 1 && x < 1.5],
    ['1.5–2×', (x) => x >= 1.5 && x < 2], ['2–4×', (x) => x >= 2 && x < 4], ['4–10×', (x) => x >= 4 && x < 10], ['≥10×', (x) => x >= 10]];
  barChart('#chart-speedups', bins.map(([label, inBin], i) => {
    const n = c.task_list.filter((t) => inBin(t.best_speedup)).length;
    return { label, value: n, text: String(n), color: i === 0 ? '#9aa3b2' : i === 1 ? '#c2553c' : '#1c8a3c' };
  }), 'tasks');
  const gateColor = { passed: '#1c8a3c' };
  barChart('#chart-verdicts', Object.entries(c.verdicts).map(([g, n]) => ({ label: g, value: n, text: String(n), color: gateColor[g] || '#c2553c' })), 'count');
  const failed = c.task_list.filter((t) => t.failed);
  const ul = $('#task-error-list');
  ul.replaceChildren();
  for (const t of failed) {
    const li = el('li', { 'data-task': t.id });
    li.appendChild(link(`#/t/${enc}/${encodeURIComponent(t.id)}`, t.id));
    li.appendChild(el('span', { 'data-k': 'reason' }, ': ' + t.stop_reason));
    ul.appendChild(li);
  }
  for (const w of c.waiting_for_model || []) {
    const li = el('li', { 'data-task': w.task, 'data-waiting': w.since_ms });
    li.appendChild(link(`#/t/${enc}/${encodeURIComponent(w.task)}`, w.task));
    li.appendChild(el('span', { 'data-k': 'reason' }, `: waiting for the model since ${fmt.when(w.since_ms)}` + (w.last_error ? `; last error: ${w.last_error}` : '')));
    ul.appendChild(li);
  }
  $('#task-errors').hidden = ul.children.length === 0;
  taskView.rows = c.task_list;
  taskView.campaign = c.name;
  renderTaskTable();
}

function lineChart(target, fastp) {
  plot(target, {
    series: [{ color: '#8a3cc2', dots: true, points: fastp.map((p) => [p.p, p.share]) }],
    x: { min: 0, max: 4, ticks: numTicks(0, 4) }, y: { min: 0, max: 1, ticks: numTicks(0, 1) }, xlabel: 'p', ylabel: 'share',
  });
}

function candLink(hash) {
  return link('#/k/' + hash, fmt.short(hash), { class: 'hash' });
}

async function renderTask(campaign, task) {
  const d = await api(`/api/campaigns/${encodeURIComponent(campaign)}/tasks/${encodeURIComponent(task)}`);
  $('#task-name').textContent = task;
  const back = $('#task-campaign');
  back.textContent = campaign;
  back.href = '#/c/' + encodeURIComponent(campaign);
  $('#task-summary').textContent = `${d.task.phase}` + (d.task.stop_reason ? ` (${d.task.stop_reason})` : '') +
    `, ${d.task.evaluations} evaluations, ${d.task.feasible} feasible, ` +
    `best ${fmt.speedup(d.task.best_speedup)} the reference (${fmt.ns(d.task.best_latency_ns)} vs ${fmt.ns(d.task.reference_latency_ns)})`;
  const ol = $('#lineage');
  ol.replaceChildren();
  for (const s of d.lineage) {
    const li = el('li', { 'data-hash': s.hash });
    if (s.parent) {
      li.appendChild(candLink(s.parent));
      li.appendChild(document.createTextNode(' → '));
    }
    li.appendChild(candLink(s.hash));
    li.appendChild(document.createTextNode(' ' + (s.parent ? s.optimization || s.stage : `${s.stage} (the root)`)));
    if (s.parent) {
      li.appendChild(document.createTextNode(' '));
      const cls = s.speedup_vs_parent >= 1 ? 'up' : 'down';
      li.appendChild(el('span', { class: cls, 'data-k': 'vs_parent' }, s.speedup_vs_parent > 0 ? `${s.speedup_vs_parent.toFixed(2)}× vs parent` : ''));
      // The figure above counts only a gain beyond the noise (1.00× when the two timings' trusted
      // intervals overlap); the ratio of the medians says what was measured.
      const parent = d.lineage.find((x) => x.hash === s.parent);
      if (parent && parent.latency_ns > 0 && s.latency_ns > 0) {
        li.appendChild(el('span', { class: 'muted', 'data-k': 'median_ratio', title: 'speedup beyond the noise vs the ratio of the two medians' },
          ` (beyond the noise; medians ${(parent.latency_ns / s.latency_ns).toFixed(2)}×)`));
      }
    }
    li.appendChild(el('span', { class: 'muted', 'data-k': 'vs_ref' }, `, ${fmt.speedup(s.speedup_vs_ref)} the reference`));
    ol.appendChild(li);
  }
  if (!d.lineage.length) ol.appendChild(el('li', { class: 'muted' }, 'no feasible kernel yet'));
  const ab = $('#archive tbody');
  ab.replaceChildren();
  for (const m of d.archive || []) {
    const tr = el('tr', { 'data-hash': m.hash });
    const a = el('td');
    a.appendChild(candLink(m.hash));
    tr.appendChild(a);
    tr.appendChild(el('td', { class: 'num' }, String(m.seq)));
    tr.appendChild(el('td', {}, m.stage));
    tr.appendChild(el('td', { class: 'num' }, fmt.ns(m.latency_ns)));
    tr.appendChild(el('td', { class: 'num', 'data-k': 'speedup' }, fmt.speedup(m.speedup_vs_ref)));
    tr.appendChild(el('td', { class: 'num' }, m.q2.toFixed(2)));
    tr.appendChild(el('td', { class: 'num' }, String(m.visits)));
    tr.appendChild(el('td', {}, Object.entries(m.knobs).map(([k, v]) => `${k}=${v}`).join(' ')));
    ab.appendChild(tr);
  }
  if (!(d.archive || []).length) ab.appendChild(el('tr', {}, '')).appendChild(el('td', { colspan: 8, class: 'muted' }, 'empty: no timed kernel yet'));
  $('#source').textContent = d.best_source || '';
  const body = $('#history tbody');
  body.replaceChildren();
  for (const c of d.history) {
    const tr = el('tr', { 'data-hash': c.hash });
    tr.appendChild(el('td', { class: 'num' }, String(c.seq)));
    const a = el('td');
    a.appendChild(candLink(c.hash));
    tr.appendChild(a);
    tr.appendChild(el('td', {}, c.stage));
    tr.appendChild(el('td', {}, c.optimization));
    tr.appendChild(el('td', {}, c.verdict));
    tr.appendChild(el('td', { class: 'num' }, fmt.ns(c.latency_ns)));
    tr.appendChild(el('td', { class: 'num' }, fmt.speedup(c.speedup_vs_ref)));
    tr.appendChild(el('td', { class: 'num' }, fmt.speedup(c.speedup_vs_parent)));
    body.appendChild(tr);
  }
}

async function renderCandidate(hash) {
  const c = await api('/api/candidates/' + encodeURIComponent(hash));
  $('#cand-hash').textContent = fmt.short(c.hash);
  const t = $('#cand-task');
  t.textContent = `${c.task} in ${c.campaign}`;
  t.href = `#/t/${encodeURIComponent(c.campaign)}/${encodeURIComponent(c.task)}`;
  $('#cand-summary').textContent = `#${c.seq}, ${c.stage}` + (c.optimization ? ` (${c.optimization})` : '') +
    `, ${c.verdict.feasible ? 'feasible' : 'failed at ' + c.verdict.failed_gate}, ${fmt.ns(c.latency_ns)}, ` +
    `${fmt.speedup(c.speedup_vs_ref)} the reference, policy ${c.policy}` + (c.model ? ` (${c.model})` : '') + `, ${fmt.when(c.created_ms)}`;
  const p = $('#cand-parents');
  p.replaceChildren(document.createTextNode(c.parents.length ? 'parent: ' : 'no parent (a draft)'));
  for (const h of c.parents) p.appendChild(candLink(h));
  const body = $('#cand-gates tbody');
  body.replaceChildren();
  for (const g of c.verdict.gates) {
    const tr = el('tr');
    tr.appendChild(el('td', {}, g.gate));
    tr.appendChild(el('td', { class: g.passed ? 'up' : 'down' }, g.passed ? 'passed' : 'failed'));
    tr.appendChild(el('td', {}, g.detail));
    body.appendChild(tr);
  }
  $('#cand-source').textContent = c.source;
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const route = location.hash.replace(/[&?]token=[^&]*/, '').split('/').slice(1).map(decodeURIComponent);
    const [list, devices, info] = await Promise.all([api('/api/campaigns'), api('/api/devices'), api('/api/daemon')]);
    $('#daemon-info').textContent = `store ${info.store}`;
    renderErrors(info, list.campaigns);
    renderCampaigns(list.campaigns);
    renderDevices(devices.devices);
    const onTask = route[0] === 't' && route.length >= 3;
    const onCand = route[0] === 'k' && route.length >= 2;
    const campaign = route[0] === 'c' ? route[1] : (list.campaigns[0] && list.campaigns[0].name);
    $('#task').hidden = !onTask;
    $('#candidate').hidden = !onCand;
    $('#campaign').hidden = onTask || onCand || !campaign;
    if (onTask || onCand) $('#stall').hidden = true;
    if (onTask) await renderTask(route[1], route[2]);
    else if (onCand) await renderCandidate(route[1]);
    else if (campaign) await renderCampaign(campaign);
    $('#status').textContent = 'updated ' + new Date().toLocaleTimeString();
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
  } catch (e) {
    $('#status').textContent = 'error: ' + e.message;
  } finally {
    busy = false;
  }
}

window.addEventListener('hashchange', refresh);
refresh();
setInterval(refresh, REFRESH_MS);
