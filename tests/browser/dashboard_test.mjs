// Loads the kforge dashboard in headless Chromium, checks that the numbers it
// shows match the daemon's JSON API, and saves screenshots.
// Usage: node dashboard_test.mjs KFORGE_BINARY SOURCE_DIR OUT_DIR
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [kforge, source, outDir] = process.argv.slice(2);
if (!kforge || !source || !outDir) {
  console.error('usage: dashboard_test.mjs KFORGE_BINARY SOURCE_DIR OUT_DIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kforge-dash-'));
const campaigns = path.join(work, 'campaigns');
fs.mkdirSync(campaigns);
fs.writeFileSync(path.join(campaigns, 'dash.toml'), `[campaign]
name = "dash"
seed = 11
tasks = ["${source}/configs/tasks/cpu/row_sum_*.toml", "${source}/configs/tasks/cpu/gelu_tanh_65536.toml"]
[budget]
evaluations_per_task = 4
plateau = 0
[policy]
candidates_per_step = 2
[verifier]
min_runs = 3
max_runs = 10
target_ms = 5
warmup = 1
seeds = 2
final_rounds = 1
`);
// A campaign that cannot improve: its model's address refuses connections, so its one task waits
// for the model while the campaign runs; with a stall threshold of 0.6 s it shows the stall banner.
fs.writeFileSync(path.join(campaigns, 'stalled.toml'), `[campaign]
name = "stalled"
seed = 1
tasks = ["${source}/configs/tasks/cpu/row_sum_256x2048.toml"]
[budget]
evaluations_per_task = 2
[policy]
kind = "openai"
[llm]
prompts = "${source}/configs/prompts"
techniques = "${source}/configs/techniques"
max_attempts = 1
outage_max_wait_s = 1
[[llm.endpoint]]
name = "nowhere"
base_url = "http://127.0.0.1:9/v1"
model = "none"
[verifier]
min_runs = 3
max_runs = 5
target_ms = 5
warmup = 1
seeds = 2
final_rounds = 0
`);
// A campaign file that does not load: its message is listed in full.
fs.writeFileSync(path.join(campaigns, 'broken.toml'), '[campaign]\nname = "broken"\nno_such_key = 1\n');
const daemonConfig = path.join(work, 'daemon.toml');
fs.writeFileSync(daemonConfig, '[daemon]\nstall_minutes = 0.01\n');
const portFile = path.join(work, 'port');
const daemon = spawn(kforge, ['daemon', '--daemon-config', daemonConfig, '--config', campaigns,
  '--store', path.join(work, 'store'), '--port', '0', '--port-file', portFile], { stdio: ['ignore', 'inherit', 'inherit'] });
const exited = new Promise((resolve) => daemon.on('exit', (code, signal) => resolve({ code, signal })));

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, ms = 90000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(200);
  }
}

let browser;
try {
  const port = await until('the port file', async () => {
    const t = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8').trim() : '';
    return t ? Number(t) : undefined;
  }, 20000);
  const base = `http://127.0.0.1:${port}`;
  const get = async (p) => (await fetch(base + p)).json();
  // The campaign is followed to its end so that the page and the API see the same numbers.
  // With 8 evaluations a task this took over 90 s on a loaded 2-vCPU CI machine.
  await until('the campaign to finish', async () => (await get('/api/campaigns/dash')).state === 'finished', 240000);
  const list = (await get('/api/campaigns')).campaigns;
  const c = await get('/api/campaigns/dash');

  browser = await chromium.launch({ executablePath: process.env.KFORGE_CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  page.on('pageerror', (e) => check(false, 'no page error: ' + e.message));
  await page.goto(`${base}/#/c/dash`);
  await page.waitForFunction(() => Number(document.body.dataset.loaded || 0) >= 1 && !document.querySelector('#campaign').hidden);

  const row = page.locator('#campaigns tr[data-campaign="dash"]');
  const api = list.find((x) => x.name === 'dash');
  check((await row.locator('[data-k=evaluations]').textContent()) === `${api.evaluations} / ${api.budget}`, `campaign evaluations ${api.evaluations} / ${api.budget}`);
  check((await row.locator('[data-k=feasible]').textContent()) === String(api.feasible), `campaign feasible ${api.feasible}`);
  check((await row.locator('[data-k=tasks_done]').textContent()) === `${api.tasks_done} / ${api.tasks}`, `tasks done ${api.tasks_done} / ${api.tasks}`);
  check((await row.locator('[data-k=state]').textContent()) === api.state, `state ${api.state}`);
  check(c.task_list.length === 3, 'three tasks in the API');
  for (const t of c.task_list) {
    const tr = page.locator(`#tasks tr[data-task="${t.id}"]`);
    const shown = await tr.locator('[data-k=best_speedup]').textContent();
    const want = t.best_speedup > 0 ? t.best_speedup.toFixed(2) + '×' : '–';
    check(shown === want, `task ${t.id} best speedup ${want} (shown ${shown})`);
    check((await tr.locator('[data-k=evaluations]').textContent()) === String(t.evaluations), `task ${t.id} evaluations ${t.evaluations}`);
  }
  const dots = await page.locator('#chart-fastp circle').evaluateAll((cs) => cs.map((e) => [Number(e.dataset.x), Number(e.dataset.y)]));
  check(dots.length === c.fast_p.length, `fast_p has ${c.fast_p.length} points`);
  check(c.fast_p.every((p, i) => dots[i] && dots[i][0] === p.p && Math.abs(dots[i][1] - p.share) < 1e-12), 'fast_p points match the API');
  const bars = await page.locator('#chart-verdicts g[data-label]').evaluateAll((gs) => gs.map((g) => [g.dataset.label, Number(g.dataset.value), g.querySelector('.bar-value').textContent]));
  for (const [gate, n] of Object.entries(c.verdicts)) {
    const b = bars.find((x) => x[0] === gate);
    check(b && b[1] === n && b[2] === String(n), `verdicts at ${gate}: ${n}`);
  }

  // The series: the figures and the charts' last points are the API's, and its last geomean is
  // the one the task records give (every task, one without a best counting 1x).
  const series = await get('/api/campaigns/dash/series');
  const last = series.points[series.points.length - 1];
  check(series.points.length > 0 && series.points.length <= 500 && last.evaluations === c.evaluations, `series ends at evaluation ${c.evaluations}`);
  const logs = c.task_list.map((t) => (t.best_speedup > 0 ? Math.log(t.best_speedup) : 0));
  const wantGeo = Math.exp(logs.reduce((a, b) => a + b, 0) / c.tasks);
  check(Math.abs(last.geomean - wantGeo) < 1e-9 * wantGeo, `series geomean ${last.geomean.toFixed(4)} = the tasks' ${wantGeo.toFixed(4)}`);
  await page.waitForFunction((n) => document.querySelector('#campaign-figures [data-k=geomean]') &&
    document.querySelector('#chart-geomean path[data-series]')?.dataset.n === String(n), series.points.length);
  check((await page.locator('#campaign-figures [data-k=geomean]').textContent()) === last.geomean.toFixed(3) + '×', `geomean shown ${last.geomean.toFixed(3)}×`);
  check((await page.locator('#campaign-figures [data-k=fast_1]').textContent()) === (100 * last.fast_1).toFixed(0) + '%', `fast_1 shown ${(100 * last.fast_1).toFixed(0)}%`);
  const paths = await page.locator('#chart-geomean path, #chart-fastp-time path').evaluateAll((ps) => ps.map((e) => [e.dataset.series, Number(e.dataset.n), Number(e.dataset.last)]));
  for (const [name, key] of [['geomean, all tasks', 'geomean'], ['fast_0', 'fast_0'], ['fast_1', 'fast_1'], ['fast_2', 'fast_2']]) {
    const p = paths.find((x) => x[0] === name);
    check(p && p[1] === series.points.length && p[2] === last[key], `chart line ${name} ends at the API's ${last[key]}`);
  }
  const ticks = await page.locator('#chart-geomean .tick-x').allTextContents();
  check(ticks.length >= 2 && ticks.every((t) => /^(\d\d-\d\d )?\d\d:\d\d(:\d\d)?$/.test(t)), `the time axis reads wall-clock time (${ticks.join(', ')})`);

  const hist = await page.locator('#chart-speedups g[data-label]').evaluateAll((gs) => gs.map((g) => [g.dataset.label, Number(g.dataset.value)]));
  const none = c.task_list.filter((t) => !(t.best_speedup > 0)).length;
  check(hist.reduce((a, b) => a + b[1], 0) === c.task_list.length && hist[0][1] === none, `tasks by best speedup: ${hist.map((b) => b.join(' ')).join(', ')}`);

  // The axis of a run that spans days: dates where a day begins, HH:MM between, at most 6 ticks.
  const days = await page.evaluate(() => {
    const t0 = new Date(2026, 0, 30, 22, 0).getTime();
    return [timeTicks(t0, t0 + 29 * 3600000).map((t) => t.label), timeTicks(t0, t0 + 3 * 3600000).map((t) => t.label)];
  });
  check(days[0].length >= 3 && days[0].length <= 6 && days[0][0] === '01-31 00:00' && days[0].includes('02-01 00:00') &&
    days[0].filter((l) => l.length === 5).length === days[0].length - 2, `a 29-hour axis: ${days[0].join(', ')}`);
  check(days[1][0] === '01-30 22:00' && days[1].includes('01-31 00:00') && days[1].includes('23:00'), `a 3-hour axis over midnight: ${days[1].join(', ')}`);

  // The task table: sorted by best speedup, filtered by the box.
  const order = await page.locator('#tasks tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.task));
  const sorted = [...c.task_list].sort((a, b) => b.best_speedup - a.best_speedup || a.id.localeCompare(b.id)).map((t) => t.id);
  check(JSON.stringify(order) === JSON.stringify(sorted), 'the task table is sorted by best speedup');
  await page.fill('#task-filter', c.task_list[0].id);
  const filtered = await page.locator('#tasks tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.task));
  check(JSON.stringify(filtered) === JSON.stringify(c.task_list.filter((t) => t.id.includes(c.task_list[0].id)).map((t) => t.id)), 'the filter box keeps the matching tasks');
  await page.fill('#task-filter', '');

  // Errors in full: the broken file's message as the daemon reports it.
  const info = await get('/api/daemon');
  const broken = (info.errors || []).find((e) => e.file.endsWith('broken.toml'));
  check(broken && broken.message.includes('no_such_key'), 'the daemon reports the broken campaign file');
  const shownError = await page.locator('#error-list li[data-error=file] [data-k=message]').first().textContent();
  check(broken && shownError === broken.message, `the broken file's message is shown in full (${shownError})`);
  check(await page.locator('#stall').isHidden(), 'a finished campaign shows no stall');
  await page.screenshot({ path: path.join(outDir, 'dashboard.png'), fullPage: true });

  // The stalled campaign: running, no task improved for longer than stall_minutes.
  const stalled = await until('the stall', async () => {
    const x = await get('/api/campaigns/stalled/series');
    return x.stall.stalled ? x : undefined;
  }, 60000);
  await page.goto(`${base}/#/c/stalled`);
  await page.waitForFunction(() => document.querySelector('#campaign-name').textContent === 'stalled' && !document.querySelector('#stall').hidden);
  const since = Number(await page.locator('#stall').getAttribute('data-since'));
  check(Math.abs(since - stalled.stall.since_ms) < 3000, `the stall banner names since when (${new Date(since).toISOString()})`);
  check((await page.locator('#stall').textContent()).includes('no task has improved its best'), 'the stall banner says what stalled');
  // Its task waits for the model: listed with the last error, as the API has it.
  const waiting = await until('the task to wait for the model', async () => {
    const x = await get('/api/campaigns/stalled');
    return x.waiting_for_model.length && x.waiting_for_model[0].last_error ? x.waiting_for_model[0] : undefined;
  }, 60000);
  await page.waitForFunction((id) => document.querySelector(`#task-error-list li[data-task="${id}"]`), waiting.task);
  const reason = await page.locator(`#task-error-list li[data-task="${waiting.task}"] [data-k=reason]`).textContent();
  check(reason.includes('waiting for the model since') && reason.includes(waiting.last_error.slice(0, 40)), `the waiting task's error is listed (${reason})`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(outDir, 'dashboard-stall.png'), fullPage: false });

  // The task page of the task with the longest lineage: lineage, source and history.
  const pages = await Promise.all(c.task_list.map(async (x) => ({ id: x.id, data: await get(`/api/campaigns/dash/tasks/${x.id}`) })));
  pages.sort((a, b) => b.data.lineage.length - a.data.lineage.length);
  const best = { id: pages[0].id };
  const t = pages[0].data;
  await page.goto(`${base}/#/t/dash/${best.id}`);
  await page.waitForFunction((id) => document.querySelector('#task-name').textContent === id && !document.querySelector('#task').hidden, best.id);
  await page.waitForFunction((n) => document.querySelectorAll('#lineage li[data-hash]').length === n, t.lineage.length);
  const hashes = await page.locator('#lineage li[data-hash]').evaluateAll((ls) => ls.map((l) => l.dataset.hash));
  check(JSON.stringify(hashes) === JSON.stringify(t.lineage.map((s) => s.hash)), `lineage of ${best.id} (${t.lineage.length} steps)`);
  check((await page.locator('#source').textContent()) === t.best_source, 'the best kernel source is shown');
  check((await page.locator('#history tbody tr').count()) === t.history.length, `history has ${t.history.length} rows`);
  const steps = await page.locator('#lineage li[data-hash] [data-k=vs_parent]').allTextContents();
  const want = t.lineage.filter((s) => s.parent).map((s) => (s.speedup_vs_parent > 0 ? `${s.speedup_vs_parent.toFixed(2)}× vs parent` : ''));
  check(JSON.stringify(steps) === JSON.stringify(want), 'each lineage step shows its effect vs its parent');
  const arch = await page.locator('#archive tbody tr[data-hash]').evaluateAll((rs) => rs.map((r) => r.dataset.hash));
  check(arch.length > 0 && JSON.stringify(arch) === JSON.stringify(t.archive.map((m) => m.hash)), `the archive of ${best.id} (${t.archive.length} members)`);
  await page.screenshot({ path: path.join(outDir, 'dashboard-task.png'), fullPage: true });
  // A lineage step links to its candidate's page, which shows the API's source.
  const leaf = t.lineage[t.lineage.length - 1].hash;
  await page.locator(`#lineage li[data-hash="${leaf}"] a[href="#/k/${leaf}"]`).click();
  await page.waitForFunction(() => !document.querySelector('#candidate').hidden && document.querySelector('#cand-source').textContent.length > 0);
  const cand = await get('/api/candidates/' + leaf);
  check((await page.locator('#cand-source').textContent()) === cand.source, 'the candidate page shows its source');
} catch (e) {
  check(false, 'test ran to the end: ' + e.message);
} finally {
  if (browser) await browser.close();
  daemon.kill('SIGTERM');
  const { code, signal } = await exited;
  check(code === 0, `the daemon stopped cleanly on SIGTERM (code ${code}, signal ${signal})`);
  fs.rmSync(work, { recursive: true, force: true });
}
console.log(failures.length ? `${failures.length} check(s) failed` : `all checks passed; screenshots in ${outDir}`);
process.exit(failures.length ? 1 : 0);
