// kforge dashboard: plain JavaScript, no dependencies, works offline.
// Reads the daemon's JSON API every 2 s and draws SVG charts. A token for a
// daemon that needs one comes from the page address (#...&token=T) once and
// is kept in localStorage.
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

const fmt = {
  speedup: (x) => (x > 0 ? x.toFixed(2) + '×' : '–'),
  ns: (x) => (x > 0 ? (x >= 1e6 ? (x / 1e6).toFixed(2) + ' ms' : (x / 1e3).toFixed(1) + ' µs') : '–'),
  share: (x) => (100 * x).toFixed(0) + '%',
};

function badge(state) {
  return el('span', { class: 'badge state-' + state, 'data-k': 'state' }, state);
}

// Axes and frame of a chart; returns scale functions.
function frame(svg, xmax, ymax, xlabel, ylabel, xmin = 0) {
  const W = 420, H = 220, L = 44, R = 14, T = 22, B = 30;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const x = (v) => L + ((v - xmin) / (xmax - xmin || 1)) * (W - L - R);
  const y = (v) => H - B - (v / (ymax || 1)) * (H - T - B);
  svg.appendChild(svgEl('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#999' }));
  svg.appendChild(svgEl('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#999' }));
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4;
    svg.appendChild(svgEl('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? v : v.toFixed(2)));
  }
  if (xlabel) {
    for (let i = 0; i <= 4; i++) {
      const v = xmin + ((xmax - xmin) * i) / 4;
      svg.appendChild(svgEl('text', { x: x(v), y: H - B + 13, 'text-anchor': 'middle' }, Number.isInteger(v) ? v : v.toFixed(1)));
    }
  }
  svg.appendChild(svgEl('text', { x: (L + W - R) / 2, y: H - 2, 'text-anchor': 'middle' }, xlabel));
  svg.appendChild(svgEl('text', { x: 4, y: 12 }, ylabel));
  return { x, y, W, H, L, R, T, B };
}

function lineChart(target, series, xmax, ymax, xlabel, ylabel, xmin = 0) {
  const div = $(target);
  div.replaceChildren();
  const svg = svgEl('svg');
  const f = frame(svg, xmax, ymax, xlabel, ylabel, xmin);
  for (const s of series) {
    const d = s.points.map((p, i) => (i ? 'L' : 'M') + f.x(p[0]).toFixed(1) + ',' + f.y(p[1]).toFixed(1)).join(' ');
    if (s.points.length) svg.appendChild(svgEl('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2 }));
    if (s.dots) {
      for (const p of s.points) {
        svg.appendChild(svgEl('circle', { cx: f.x(p[0]), cy: f.y(p[1]), r: 3, fill: s.color, 'data-x': p[0], 'data-y': p[1] }));
      }
    }
  }
  div.appendChild(svg);
}

function barChart(target, bars, ylabel) {
  const div = $(target);
  div.replaceChildren();
  const svg = svgEl('svg');
  const ymax = Math.max(1, ...bars.map((b) => b.value));
  const f = frame(svg, 1, ymax, '', ylabel);
  const n = Math.max(1, bars.length);
  const slot = (f.W - f.L - f.R) / n;
  bars.forEach((b, i) => {
    const x0 = f.L + i * slot + slot * 0.15;
    const h = f.y(0) - f.y(b.value);
    const g = svgEl('g', { 'data-label': b.label, 'data-value': b.value });
    g.appendChild(svgEl('rect', { x: x0, y: f.y(b.value), width: slot * 0.7, height: Math.max(0, h), fill: b.color || '#3c7be0' }));
    g.appendChild(svgEl('text', { x: x0 + slot * 0.35, y: f.y(b.value) - 3, 'text-anchor': 'middle', class: 'bar-value' }, b.text));
    g.appendChild(svgEl('text', { x: x0 + slot * 0.35, y: f.H - f.B + 12, 'text-anchor': 'middle' }, b.label.length > 14 ? b.label.slice(0, 13) + '…' : b.label));
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
    name.appendChild(el('a', { href: '#/c/' + encodeURIComponent(c.name), 'data-k': 'name' }, c.name));
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
    tr.appendChild(el('td', { class: 'num', 'data-k': 'tasks_done' }, `${c.tasks_done} / ${c.tasks}`));
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

async function renderCampaign(name) {
  const [c, h] = await Promise.all([
    api('/api/campaigns/' + encodeURIComponent(name)),
    api('/api/campaigns/' + encodeURIComponent(name) + '/history'),
  ]);
  $('#campaign-name').textContent = c.name;
  const st = $('#campaign-state');
  st.textContent = c.state;
  st.className = 'badge state-' + c.state;
  $('#campaign-note').textContent = c.note || '';
  const pts = h.points;
  const t0 = pts.length ? pts[0].t_ms : 0;
  const tmax = pts.length ? Math.max(1, (pts[pts.length - 1].t_ms - t0) / 1000) : 1;
  lineChart('#chart-history', [
    { color: '#3c7be0', points: pts.map((p) => [(p.t_ms - t0) / 1000, p.evaluations]) },
    { color: '#1c8a3c', points: pts.map((p) => [(p.t_ms - t0) / 1000, p.feasible]) },
  ], tmax, Math.max(1, c.budget, ...pts.map((p) => p.evaluations)), 'seconds since the first evaluation', 'evaluations');
  barChart('#chart-speedup', c.task_list.map((t) => ({ label: t.id, value: t.best_speedup, text: t.best_speedup > 0 ? t.best_speedup.toFixed(2) : '–' })), '× ref');
  lineChart('#chart-fastp', [{ color: '#8a3cc2', dots: true, points: c.fast_p.map((p) => [p.p, p.share]) }], 4, 1, 'p', 'share');
  const gateColor = { passed: '#1c8a3c' };
  barChart('#chart-verdicts', Object.entries(c.verdicts).map(([g, n]) => ({ label: g, value: n, text: String(n), color: gateColor[g] || '#c2553c' })), 'count');
  const body = $('#tasks tbody');
  body.replaceChildren();
  for (const t of c.task_list) {
    const tr = el('tr', { 'data-task': t.id });
    const a = el('td');
    a.appendChild(el('a', { href: `#/t/${encodeURIComponent(c.name)}/${encodeURIComponent(t.id)}` }, t.id));
    tr.appendChild(a);
    tr.appendChild(el('td', {}, t.family));
    tr.appendChild(el('td', { 'data-k': 'phase' }, t.phase));
    tr.appendChild(el('td', { class: 'num', 'data-k': 'evaluations' }, String(t.evaluations)));
    tr.appendChild(el('td', { class: 'num', 'data-k': 'feasible' }, String(t.feasible)));
    tr.appendChild(el('td', { class: 'num', 'data-k': 'best_speedup' }, fmt.speedup(t.best_speedup)));
    tr.appendChild(el('td', { class: 'num' }, fmt.ns(t.best_latency_ns)));
    body.appendChild(tr);
  }
}

async function renderTask(campaign, task) {
  const d = await api(`/api/campaigns/${encodeURIComponent(campaign)}/tasks/${encodeURIComponent(task)}`);
  $('#task-name').textContent = task;
  const link = $('#task-campaign');
  link.textContent = campaign;
  link.href = '#/c/' + encodeURIComponent(campaign);
  $('#task-summary').textContent = `${d.task.phase}, ${d.task.evaluations} evaluations, ${d.task.feasible} feasible, ` +
    `best ${fmt.speedup(d.task.best_speedup)} the reference (${fmt.ns(d.task.best_latency_ns)} vs ${fmt.ns(d.task.reference_latency_ns)})`;
  const ol = $('#lineage');
  ol.replaceChildren();
  for (const s of d.lineage) {
    const li = el('li', { 'data-hash': s.hash });
    const what = s.parent ? `${s.parent.slice(0, 8)} → ${s.hash.slice(0, 8)}` : `${s.hash.slice(0, 8)} (first feasible draft)`;
    li.appendChild(el('code', {}, what));
    li.appendChild(document.createTextNode(' ' + (s.optimization || s.stage) + ' '));
    if (s.parent) {
      const cls = s.speedup_vs_parent >= 1 ? 'up' : 'down';
      li.appendChild(el('span', { class: cls, 'data-k': 'vs_parent' }, s.speedup_vs_parent > 0 ? `${s.speedup_vs_parent.toFixed(2)}× vs parent` : ''));
    }
    li.appendChild(el('span', { class: 'muted', 'data-k': 'vs_ref' }, `, ${fmt.speedup(s.speedup_vs_ref)} the reference`));
    ol.appendChild(li);
  }
  if (!d.lineage.length) ol.appendChild(el('li', { class: 'muted' }, 'no feasible kernel yet'));
  $('#source').textContent = d.best_source || '';
  const body = $('#history tbody');
  body.replaceChildren();
  for (const c of d.history) {
    const tr = el('tr', { 'data-hash': c.hash });
    tr.appendChild(el('td', { class: 'num' }, String(c.seq)));
    tr.appendChild(el('td', {}, c.stage));
    tr.appendChild(el('td', {}, c.optimization));
    tr.appendChild(el('td', {}, c.verdict));
    tr.appendChild(el('td', { class: 'num' }, fmt.ns(c.latency_ns)));
    tr.appendChild(el('td', { class: 'num' }, fmt.speedup(c.speedup_vs_ref)));
    tr.appendChild(el('td', { class: 'num' }, fmt.speedup(c.speedup_vs_parent)));
    body.appendChild(tr);
  }
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const route = location.hash.replace(/[&?]token=[^&]*/, '').split('/').slice(1).map(decodeURIComponent);
    const [list, devices, info] = await Promise.all([api('/api/campaigns'), api('/api/devices'), api('/api/daemon')]);
    $('#daemon-info').textContent = `store ${info.store}` + (info.errors && info.errors.length ? `, ${info.errors.length} campaign file error(s)` : '');
    $('#daemon-info').title = (info.errors || []).map((e) => e.message).join('\n');
    renderCampaigns(list.campaigns);
    renderDevices(devices.devices);
    const onTask = route[0] === 't' && route.length >= 3;
    let campaign = route[0] === 'c' ? route[1] : (list.campaigns[0] && list.campaigns[0].name);
    $('#task').hidden = !onTask;
    $('#campaign').hidden = onTask || !campaign;
    if (onTask) await renderTask(route[1], route[2]);
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
