// The page of `fivedreg serve`: plain JavaScript over the JSON API, no dependencies.
'use strict';

const $ = (selector) => document.querySelector(selector);
const state = {
  token: sessionStorage.getItem('fivedreg-token') || '',
  options: [],         // from /api/v1/hyperparameters
  datasets: [],
  models: [],
  job: null,           // the job being followed
  curves: { train_loss: [], validation_r2: [] },
};

// ---- API -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.field = body && body.field;
  }
}

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (state.token) h.Authorization = `Bearer ${state.token}`;
  return h;
}

// Sends a request; resolves to the parsed JSON (or the Response itself with raw = true).
async function api(path, { method = 'GET', body, type, raw = false } = {}) {
  const init = { method, headers: headers(type ? { 'Content-Type': type } : {}) };
  if (body !== undefined) init.body = body;
  const response = await fetch(path, init);
  if (!response.ok) {
    let parsed = null;
    try { parsed = await response.json(); } catch (_) { /* not JSON */ }
    if (response.status === 401) $('#auth').hidden = false;
    throw new ApiError(response.status, parsed);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

const json = (value) => ({ method: 'POST', body: JSON.stringify(value), type: 'application/json' });

// ---- formatting ------------------------------------------------------------------------

function fmt(x, digits = 6) {
  if (x === null || x === undefined) return '–';
  if (typeof x !== 'number') return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-4) return x.toExponential(3);
  return Number(x.toPrecision(digits)).toString();
}

// R² with enough digits to tell models apart: six decimals, more while they round to 1.
function fmtR2(x) {
  if (x === null || x === undefined) return '–';
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) return fmt(x);
  let digits = 6;
  while (digits < 12 && x !== 1 && x.toFixed(digits) === (1).toFixed(digits)) digits += 1;
  return x.toFixed(digits);
}

function setStatus(element, text, kind) {
  element.textContent = text;
  element.className = 'status' + (kind ? ' ' + kind : '');
}

function option(value, label) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  return o;
}

// ---- data sets -------------------------------------------------------------------------

async function loadDatasets(select) {
  state.datasets = await api('/api/v1/datasets');
  const list = $('#dataset-select');
  const keep = select || list.value;
  list.replaceChildren(...state.datasets.map((d) => option(d.id, `${d.name} · ${d.rows} rows · ${d.id}`)));
  if (keep && state.datasets.some((d) => d.id === keep)) list.value = keep;
  else if (state.datasets.length) list.value = state.datasets[state.datasets.length - 1].id;
  showDataset();
}

function currentDataset() {
  return state.datasets.find((d) => d.id === $('#dataset-select').value);
}

function showDataset() {
  const d = currentDataset();
  const rows = d ? d.columns.map((c) => {
    const tr = document.createElement('tr');
    for (const v of [c.name, fmt(c.min), fmt(c.max), fmt(c.mean)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }) : [];
  $('#dataset-columns tbody').replaceChildren(...rows);
  const target = $('#target');
  target.replaceChildren(...(d ? d.columns.map((c) => option(c.name, c.name)) : []));
  if (d) target.value = d.columns[d.columns.length - 1].name;
  $('#train').disabled = !d;
  $('#dataset-delete').disabled = !d;
}

async function upload() {
  const file = $('#dataset-file').files[0];
  const status = $('#upload-status');
  if (!file) { setStatus(status, 'choose a CSV file first', 'bad'); return; }
  setStatus(status, `uploading ${file.name}…`);
  try {
    const info = await api(`/api/v1/datasets?name=${encodeURIComponent(file.name)}`,
      { method: 'POST', body: file, type: 'text/csv' });
    setStatus(status, `stored ${info.rows} rows, ${info.columns.length} columns`, 'good');
    await loadDatasets(info.id);
  } catch (e) {
    setStatus(status, e.message, 'bad');
  }
}

async function deleteDataset() {
  const d = currentDataset();
  if (!d) return;
  try {
    await api(`/api/v1/datasets/${d.id}`, { method: 'DELETE' });
    setStatus($('#upload-status'), `deleted ${d.name}`);
    await loadDatasets();
  } catch (e) {
    setStatus($('#upload-status'), e.message, 'bad');
  }
}

// ---- hyperparameters -------------------------------------------------------------------

// Slider position 0..1000 <-> value, linear or log.
const STEPS = 1000;
function toValue(spec, position) {
  const { min, max, log } = spec.slider;
  const t = position / STEPS;
  let v = log ? Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min))) : min + t * (max - min);
  if (spec.kind === 'integer') v = Math.round(v);
  else v = Number(v.toPrecision(3));
  return v;
}
function toPosition(spec, value) {
  const { min, max, log } = spec.slider;
  const v = Math.min(max, Math.max(min, value));
  const t = log ? (Math.log(v) - Math.log(min)) / (Math.log(max) - Math.log(min)) : (v - min) / (max - min);
  return Math.round(t * STEPS);
}

// Checks one value against its spec; an error message or ''.
function checkValue(spec, v) {
  if (!Number.isFinite(v)) return `${spec.name} must be a number`;
  if (spec.kind.startsWith('integer') && !Number.isInteger(v)) return `${spec.name} must be a whole number`;
  if (spec.min !== null && (spec.min_exclusive ? v <= spec.min : v < spec.min)) return `${spec.name} must be ${spec.min_exclusive ? 'above' : 'at least'} ${spec.min}`;
  if (spec.max !== null && (spec.max_exclusive ? v >= spec.max : v > spec.max)) return `${spec.name} must be ${spec.max_exclusive ? 'below' : 'at most'} ${spec.max}`;
  return '';
}

function buildParams() {
  const box = $('#params');
  box.replaceChildren();
  for (const spec of state.options) {
    const label = document.createElement('label');
    label.textContent = spec.name.replaceAll('_', ' ');
    label.title = spec.flag;
    box.append(label);
    if (spec.kind === 'choice') {
      const select = document.createElement('select');
      select.id = `opt-${spec.name}`;
      select.replaceChildren(...spec.choices.map((c) => option(c, c)));
      select.value = spec.default;
      const wrap = document.createElement('div');
      wrap.className = 'wide';
      wrap.append(select);
      box.append(wrap);
    } else if (spec.kind === 'bool') {
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.id = `opt-${spec.name}`;
      input.checked = spec.default === true;
      const wrap = document.createElement('div');
      wrap.className = 'wide';
      wrap.append(input);
      box.append(wrap);
    } else if (spec.kind.endsWith('_list') || !spec.slider) {
      const input = document.createElement('input');
      input.type = spec.kind.endsWith('_list') ? 'text' : 'number';
      input.id = `opt-${spec.name}`;
      input.value = Array.isArray(spec.default) ? spec.default.join(',') : (spec.default ?? '');
      const wrap = document.createElement('div');
      wrap.className = 'wide';
      wrap.append(input);
      box.append(wrap);
      input.addEventListener('input', () => validateParam(spec));
    } else {
      const slider = document.createElement('input');
      slider.type = 'range';
      slider.min = 0;
      slider.max = STEPS;
      slider.id = `slider-${spec.name}`;
      const number = document.createElement('input');
      number.type = 'number';
      number.id = `opt-${spec.name}`;
      number.step = 'any';
      if (spec.default === null) {
        number.placeholder = 'auto';
        slider.value = toPosition(spec, 200);
      } else {
        number.value = spec.default;
        slider.value = toPosition(spec, spec.default);
      }
      slider.addEventListener('input', () => {
        number.value = toValue(spec, Number(slider.value));
        validateParam(spec);
      });
      number.addEventListener('input', () => {
        if (number.value !== '') slider.value = toPosition(spec, Number(number.value));
        validateParam(spec);
      });
      box.append(slider, number);
    }
    const meaning = document.createElement('div');
    meaning.className = 'meaning';
    meaning.id = `meaning-${spec.name}`;
    meaning.textContent = describe(spec);
    box.append(document.createElement('span'), meaning);
  }
}

function describe(spec) {
  const parts = [spec.meaning];
  if (spec.kind !== 'bool' && spec.kind !== 'choice') {
    const lo = spec.min === null ? '' : `${spec.min_exclusive ? '>' : '≥'} ${spec.min}`;
    const max = spec.max >= 1e18 ? '2⁶⁴−1' : spec.max;
    const hi = spec.max === null ? '' : `${spec.max_exclusive ? '<' : '≤'} ${max}`;
    const range = [lo, hi].filter(Boolean).join(', ');
    if (range) parts.push(`valid: ${range}${spec.max_len ? `, at most ${spec.max_len} values` : ''}`);
  }
  return parts.join(' · ');
}

// The value of an option's input, or undefined to leave the default; throws on a bad one.
// Options left at their defaults are not sent: the server then picks the default that
// fits the other options (the split of lbfgs, for one).
function readParam(spec) {
  const input = $(`#opt-${spec.name}`);
  if (spec.kind === 'bool') return input.checked === spec.default ? undefined : input.checked;
  if (spec.kind === 'choice') return input.value === spec.default ? undefined : input.value;
  const text = input.value.trim();
  if (text === '') {
    if (spec.default === null) return undefined;
    throw new Error(`${spec.name} is empty`);
  }
  if (spec.kind.endsWith('_list')) {
    const values = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
    for (const v of values) {
      const bad = checkValue(spec, v);
      if (bad) throw new Error(bad);
    }
    if (spec.max_len && values.length > spec.max_len) throw new Error(`${spec.name}: at most ${spec.max_len} values`);
    return JSON.stringify(values) === JSON.stringify(spec.default) ? undefined : values;
  }
  const v = Number(text);
  const bad = checkValue(spec, v);
  if (bad) throw new Error(bad);
  return v === spec.default ? undefined : v;
}

function validateParam(spec) {
  const input = $(`#opt-${spec.name}`);
  try {
    readParam(spec);
    input.classList.remove('invalid');
    $(`#meaning-${spec.name}`).textContent = describe(spec);
    $(`#meaning-${spec.name}`).classList.remove('bad');
    return true;
  } catch (e) {
    input.classList.add('invalid');
    $(`#meaning-${spec.name}`).textContent = e.message;
    $(`#meaning-${spec.name}`).classList.add('bad');
    return false;
  }
}

function readOptions() {
  const options = {};
  for (const spec of state.options) {
    const v = readParam(spec);
    if (v !== undefined) options[spec.name] = v;
  }
  return options;
}

// ---- training --------------------------------------------------------------------------

async function train() {
  const d = currentDataset();
  const status = $('#job-status');
  if (!d) return;
  let options;
  try {
    options = readOptions();
  } catch (e) {
    setStatus(status, e.message, 'bad');
    return;
  }
  state.curves = { train_loss: [], validation_r2: [] };
  $('#metrics tbody').replaceChildren();
  drawChart();
  try {
    const job = await api('/api/v1/jobs', json({ dataset: d.id, target: $('#target').value, options }));
    state.job = job;
    $('#train').disabled = true;
    $('#cancel').disabled = false;
    showJob(job);
    await followJob(job.id);
  } catch (e) {
    setStatus(status, e.message, 'bad');
    if (e.field) {
      const name = e.field.replace(/^options\./, '');
      const input = $(`#opt-${name}`);
      if (input) input.classList.add('invalid');
    }
  } finally {
    $('#train').disabled = false;
    $('#cancel').disabled = true;
  }
}

function showJob(job) {
  const status = $('#job-status');
  status.dataset.state = job.state;
  const figures = [];
  if (job.kind === 'auto') {
    const tried = job.candidates || [];
    figures.push(`${tried.length} candidate${tried.length === 1 ? '' : 's'} tried`);
    if (tried.length) {
      const best = tried.reduce((a, b) => (b.cv_r2_mean > a.cv_r2_mean ? b : a));
      figures.push(`best CV R² ${fmt(best.cv_r2_mean, 4)} (${best.config})`);
    }
  } else {
    const unit = job.kind === 'ensemble' ? 'member epochs' : 'epoch';
    figures.push(`${unit} ${job.epoch}/${job.max_epochs}`);
  }
  if (job.train_loss !== null) figures.push(`loss ${fmt(job.train_loss, 4)}`);
  if (job.validation_r2 !== null) figures.push(`validation R² ${fmt(job.validation_r2, 4)}`);
  const kind = { done: 'good', failed: 'bad', cancelled: 'bad', interrupted: 'bad' }[job.state] || '';
  let text = `${job.state} · ${figures.join(' · ')}`;
  if (job.error) text += ` · ${job.error}`;
  setStatus(status, text, kind);
}

// Reads the job's server-sent events (fetch rather than EventSource, so that the token
// header goes with it) until the job ends.
async function followJob(id) {
  const response = await api(`/api/v1/jobs/${id}/events`, { raw: true });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let last = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
      if (!data) continue;
      last = JSON.parse(data);
      onJobEvent(last);
    }
  }
  if (last && last.state === 'done') await jobDone(last);
}

function onJobEvent(job) {
  showJob(job);
  const c = state.curves;
  // An ensemble's members report interleaved epochs: its curves come with the model.
  if (job.kind === 'network' && job.epoch > c.train_loss.length && job.train_loss !== null) {
    // Events are coalesced when epochs are fast: fill gaps with the latest figure.
    while (c.train_loss.length < job.epoch) c.train_loss.push(job.train_loss);
    if (job.validation_r2 !== null) {
      while (c.validation_r2.length < job.epoch) c.validation_r2.push(job.validation_r2);
    }
    drawChart();
  }
}

async function jobDone(job) {
  const model = await api(`/api/v1/models/${job.model}`);
  state.curves = model.history;  // the exact curves, every epoch
  drawChart();
  // The list first, so that when the metrics show, the new model is the one selected.
  await loadModels(model.id);
  showMetrics(model);
}

function showMetrics(model) {
  const m = model.metrics;
  const rows = [];
  if (m) {
    rows.push(['R²', fmtR2(m.r2)], ['MSE', fmt(m.mse)], ['RMSE', fmt(m.rmse)], ['MAE', fmt(m.mae)], ['max error', fmt(m.max_error)],
      ['test rows', m.n]);
  } else {
    rows.push(['test rows', '0 (no test split)']);
  }
  if (model.ensemble) {
    rows.push(['members', `${model.members} × ${model.member}`]);
    rows.push(['held-out R²', fmtR2(model.ensemble.heldout_r2)]);
    if (model.ensemble.test_coverage !== null) rows.push(['test rows within ±1.96 std', `${(100 * model.ensemble.test_coverage).toFixed(1)}%`]);
  } else {
    rows.push(['network', model.member]);
  }
  if (model.leaderboard) rows.push(['auto: best of', `${model.leaderboard.length} candidates (${model.leaderboard[0].config})`]);
  rows.push(['epochs', `${model.epochs} (best ${model.best_epoch})`]);
  if (model.best_validation_r2 !== null) rows.push(['best validation R²', fmtR2(model.best_validation_r2)]);
  if (model.train_seconds !== null) rows.push(['time', `${model.train_seconds.toFixed(2)} s`]);
  rows.push(['parameters', model.members > 1 ? `${model.parameters} per member` : model.parameters]);
  $('#metrics tbody').replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    const b = document.createElement('td');
    a.textContent = k;
    b.textContent = v;
    tr.append(a, b);
    return tr;
  }));
  $('#metrics thead th').textContent = `test metrics (units of ${model.target})`;
  showLeaderboard(model);
  showTestPredictions(model);
}

// An auto model's leaderboard: each configuration tried with its cross-validated R², best
// first.
function showLeaderboard(model) {
  const board = (model.leaderboard || []).slice().sort((a, b) => b.cv_r2_mean - a.cv_r2_mean);
  $('#leaderboard tbody').replaceChildren(...board.map((entry, i) => {
    const tr = document.createElement('tr');
    if (i === 0) tr.className = 'best';
    for (const v of [entry.config, fmtR2(entry.cv_r2_mean), fmt(entry.cv_r2_std, 3)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }));
  $('#leaderboard').dataset.model = model.id;
}

// Round bounds for an axis over values: [lo, hi], widened when all values are equal.
function extent(values) {
  let lo = Math.min(...values), hi = Math.max(...values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi === lo) { lo -= 1; hi += 1; }
  const margin = (hi - lo) * 0.04;
  return [lo - margin, hi + margin];
}

// The test rows' predictions against their actual values (with y = x), and the residuals
// against the predictions; or why there are none.
function showTestPredictions(model) {
  const parity = $('#parity-chart');
  const residual = $('#residual-chart');
  const status = $('#test-status');
  parity.replaceChildren();
  residual.replaceChildren();
  parity.dataset.model = model.id;
  const t = model.test_predictions;
  if (!t || !t.actual.length) {
    parity.classList.add('gone');
    residual.classList.add('gone');
    setStatus(status, model.job
      ? 'no test rows were kept for this model (its test split is empty)'
      : 'this model was uploaded as a file: the server does not have its test rows, so there is no plot');
    parity.dataset.points = '0';
    return;
  }
  parity.classList.remove('gone');
  residual.classList.remove('gone');
  const shown = t.actual.length < t.test_rows ? `${t.actual.length} of the ${t.test_rows}` : `all ${t.test_rows}`;
  setStatus(status, `${shown} test rows, in units of ${model.target}`);
  const all = t.actual.concat(t.predicted);
  const [lo, hi] = extent(all);
  drawScatter(parity, {
    W: 760, H: 320, xs: t.actual, ys: t.predicted, xRange: [lo, hi], yRange: [lo, hi],
    xLabel: `actual ${model.target}`, yLabel: 'predicted', diagonal: true,
  });
  const residuals = t.actual.map((a, i) => a - t.predicted[i]);
  const bound = Math.max(...residuals.map(Math.abs), 1e-12) * 1.05;
  drawScatter(residual, {
    W: 760, H: 220, xs: t.predicted, ys: residuals, xRange: extent(t.predicted), yRange: [-bound, bound],
    xLabel: `predicted ${model.target}`, yLabel: 'residual', zero: true,
  });
  parity.dataset.points = String(t.actual.length);
}

function drawScatter(svg, o) {
  const pad = { l: 70, r: 16, t: 14, b: 38 };
  const [x0, x1] = o.xRange, [y0, y1] = o.yRange;
  const px = (v) => pad.l + ((v - x0) / (x1 - x0)) * (o.W - pad.l - pad.r);
  const py = (v) => pad.t + (1 - (v - y0) / (y1 - y0)) * (o.H - pad.t - pad.b);
  const parts = [];
  for (const v of ticks(y0, y1)) {
    parts.push(svgElement('line', { x1: pad.l, x2: o.W - pad.r, y1: py(v), y2: py(v), stroke: '#dde1e8' }));
    parts.push(svgElement('text', { x: pad.l - 6, y: py(v) + 4, 'text-anchor': 'end' }, fmt(v, 4)));
  }
  for (const v of ticks(x0, x1)) parts.push(svgElement('text', { x: px(v), y: o.H - 20, 'text-anchor': 'middle' }, fmt(v, 4)));
  parts.push(svgElement('text', { x: (pad.l + o.W - pad.r) / 2, y: o.H - 4, 'text-anchor': 'middle' }, o.xLabel));
  parts.push(svgElement('text', { x: 14, y: (pad.t + o.H - pad.b) / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${(pad.t + o.H - pad.b) / 2})` }, o.yLabel));
  if (o.diagonal) {
    const a = Math.max(x0, y0), b = Math.min(x1, y1);
    parts.push(svgElement('line', { class: 'diagonal', x1: px(a), y1: py(a), x2: px(b), y2: py(b), stroke: '#d9731a', 'stroke-width': 1.5 }));
    parts.push(svgElement('text', { x: px(b) - 4, y: py(b) + 14, 'text-anchor': 'end', fill: '#d9731a' }, 'y = x'));
  }
  if (o.zero) parts.push(svgElement('line', { class: 'zero', x1: pad.l, x2: o.W - pad.r, y1: py(0), y2: py(0), stroke: '#d9731a', 'stroke-width': 1.5 }));
  o.xs.forEach((x, i) => {
    parts.push(svgElement('circle', { class: 'point', cx: px(x).toFixed(1), cy: py(o.ys[i]).toFixed(1), r: 2.2, fill: '#2463c7', 'fill-opacity': 0.55 }));
  });
  svg.replaceChildren(...parts);
}

async function cancel() {
  if (!state.job) return;
  try {
    const job = await api(`/api/v1/jobs/${state.job.id}`, { method: 'DELETE' });
    if (job) showJob(job);
  } catch (e) {
    setStatus($('#job-status'), e.message, 'bad');
  }
}

// ---- the chart -------------------------------------------------------------------------

function drawChart() {
  const canvas = $('#chart');
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height;
  const pad = { l: 62, r: 56, t: 30, b: 34 };
  ctx.clearRect(0, 0, W, H);
  ctx.font = '12px system-ui, sans-serif';
  const loss = state.curves.train_loss || [];
  const r2 = state.curves.validation_r2 || [];
  const n = Math.max(loss.length, r2.length);
  ctx.fillStyle = '#6b7385';
  if (n === 0) {
    ctx.fillText('training loss and validation R² appear here while a job trains', pad.l, H / 2);
    return;
  }
  const x = (i) => pad.l + (n <= 1 ? 0 : (i / (n - 1)) * (W - pad.l - pad.r));
  // Loss on a log scale (left axis), R² on a linear one (right axis).
  const positive = loss.filter((v) => v > 0);
  const lo = Math.log10(Math.min(...positive, 1)), hi = Math.log10(Math.max(...positive, 1e-12));
  const lmin = Math.floor(lo), lmax = Math.max(Math.ceil(hi), lmin + 1);
  const yLoss = (v) => pad.t + (1 - (Math.log10(v) - lmin) / (lmax - lmin)) * (H - pad.t - pad.b);
  const rmin = Math.min(0, ...r2.map((v) => Math.max(v, -1)));
  const yR2 = (v) => pad.t + (1 - (Math.max(v, -1) - rmin) / (1 - rmin)) * (H - pad.t - pad.b);
  ctx.strokeStyle = '#dde1e8';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  for (let p = lmin; p <= lmax; p++) {
    const y = yLoss(10 ** p);
    ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(W - pad.r, y); ctx.stroke();
    ctx.fillStyle = '#2463c7';
    ctx.fillText(`1e${p}`, pad.l - 6, y + 4);
  }
  ctx.textAlign = 'left';
  ctx.fillStyle = '#d9731a';
  for (const v of [rmin, (rmin + 1) / 2, 1]) ctx.fillText(fmt(v, 2), W - pad.r + 6, yR2(v) + 4);
  ctx.fillStyle = '#6b7385';
  ctx.textAlign = 'center';
  ctx.fillText('epoch', (pad.l + W - pad.r) / 2, H - 6);
  for (const i of [0, Math.floor((n - 1) / 2), n - 1]) ctx.fillText(String(i + 1), x(i), H - pad.b + 16);
  const line = (values, y, color) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    values.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
  };
  line(loss.map((v) => Math.max(v, 10 ** lmin)), yLoss, '#2463c7');
  if (r2.length) line(r2, yR2, '#d9731a');
  ctx.textAlign = 'left';
  ctx.fillStyle = '#2463c7';
  ctx.fillText('— training loss (left, log scale)', pad.l, 16);
  ctx.fillStyle = '#d9731a';
  ctx.textAlign = 'right';
  ctx.fillText('validation R² (right) —', W - pad.r, 16);
}

// ---- models and prediction -------------------------------------------------------------

async function loadModels(select) {
  state.models = await api('/api/v1/models');
  const list = $('#model-select');
  const keep = select || list.value;
  list.replaceChildren(...state.models.map((m) => option(m.id,
    `${m.name} · R² ${m.metrics ? fmtR2(m.metrics.r2) : '–'} · ${m.id}`)));
  if (keep && state.models.some((m) => m.id === keep)) list.value = keep;
  else if (state.models.length) list.value = state.models[state.models.length - 1].id;
  showModel();
}

function currentModel() {
  return state.models.find((m) => m.id === $('#model-select').value);
}

function showModel() {
  const m = currentModel();
  const inputs = m ? m.features.map((name, i) => {
    const label = document.createElement('label');
    label.textContent = name;
    const input = document.createElement('input');
    input.type = 'number';
    input.step = 'any';
    input.required = true;
    input.name = name;
    input.value = m.feature_means ? Number(m.feature_means[i].toPrecision(4)) : 0;
    label.append(input);
    return label;
  }) : [];
  $('#point-inputs').replaceChildren(...inputs);
  $('#point-result').textContent = '';
  for (const id of ['#predict-point', '#predict-batch', '#model-download', '#model-delete']) $(id).disabled = !m;
  showSelectedModel(m);
  exploreModel(m);
}

// The selected model's curves and metrics (its leaderboard's best among them), whenever a
// model is selected, not only after a job this page watched; left alone while a job trains.
async function showSelectedModel(m) {
  if (!m && !state.job) {
    $('#leaderboard tbody').replaceChildren();
    $('#parity-chart').replaceChildren();
    $('#residual-chart').replaceChildren();
    setStatus($('#test-status'), 'select a model to see how it predicts its test rows');
  }
  if (!m || (state.job && !['done', 'failed', 'cancelled', 'interrupted'].includes($('#job-status').dataset.state))) return;
  try {
    const model = await api(`/api/v1/models/${m.id}`);
    if (currentModel() !== m) return;
    state.curves = model.history;
    drawChart();
    showMetrics(model);
    $('#metrics').dataset.model = model.id;
  } catch (e) {
    setStatus($('#batch-status'), e.message, 'bad');
  }
}

async function predictPoint(event) {
  event.preventDefault();
  const m = currentModel();
  if (!m) return;
  const row = [...document.querySelectorAll('#point-inputs input')].map((i) => Number(i.value));
  const out = $('#point-result');
  try {
    const result = await api(`/api/v1/models/${m.id}/predict`, json({ rows: [row] }));
    const std = result.std ? ` ± ${fmt(result.std[0], 4)} (std)` : '';
    out.textContent = `${result.target} = ${fmt(result.predictions[0], 8)}${std}`;
    out.dataset.value = String(result.predictions[0]);
    out.className = '';
  } catch (e) {
    out.textContent = e.message;
    out.className = 'bad';
  }
}

async function predictBatch() {
  const m = currentModel();
  const file = $('#batch-file').files[0];
  const status = $('#batch-status');
  const link = $('#batch-download');
  link.hidden = true;
  if (!m) return;
  if (!file) { setStatus(status, 'choose a CSV file first', 'bad'); return; }
  setStatus(status, `predicting ${file.name}…`);
  try {
    const query = m.ensemble ? '?std=true' : '';
    const response = await api(`/api/v1/models/${m.id}/predict${query}`, { method: 'POST', body: file, type: 'text/csv', raw: true });
    const blob = await response.blob();
    const rows = (await blob.text()).split('\n').filter((l) => l !== '').length - 1;
    if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.blob = blob;
    link.download = file.name.replace(/\.csv$/i, '') + '_predicted.csv';
    link.textContent = `Download predictions (${rows} rows)`;
    link.hidden = false;
    setStatus(status, '');
  } catch (e) {
    setStatus(status, e.message, 'bad');
  }
}

async function downloadModel() {
  const m = currentModel();
  if (!m) return;
  const response = await api(`/api/v1/models/${m.id}/file`, { raw: true });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await response.blob());
  a.download = `${m.id}.fdr`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

async function deleteModel() {
  const m = currentModel();
  if (!m) return;
  await api(`/api/v1/models/${m.id}`, { method: 'DELETE' });
  await loadModels();
}

// ---- exploring a model: sensitivity and slices -----------------------------------------

const SVG_NS = 'http://www.w3.org/2000/svg';
const Z95 = 1.96;

function svgElement(name, attributes, text) {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attributes || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// Three round tick values over [lo, hi].
function ticks(lo, hi) {
  return [lo, (lo + hi) / 2, hi];
}

const explore = {
  model: null,     // the model explored
  ranges: null,    // input name -> [low, high]
  at: null,        // the held point, in the model's input order
  sequence: 0,     // the latest slice request; older answers are dropped
  busy: false,     // a slice request is in flight
  pending: false,  // the sliders moved while it was
};

async function exploreModel(m) {
  explore.model = m || null;
  explore.ranges = null;
  explore.at = null;
  $('#sensitivity-chart').replaceChildren();
  $('#slice-chart').replaceChildren();
  $('#held-inputs').replaceChildren();
  $('#slice-input').replaceChildren(...(m ? m.features.map((f) => option(f, f)) : []));
  $('#explore-card').hidden = !m;
  if (!m) return;
  await Promise.all([showSensitivity(m), requestSlice()]);
}

async function showSensitivity(m) {
  const status = $('#sensitivity-status');
  setStatus(status, 'computing…');
  try {
    const s = await api(`/api/v1/models/${m.id}/sensitivity`, json({}));
    if (explore.model !== m) return;
    drawSensitivity(s);
    setStatus(status, `N = ${s.n}, ${s.evaluations} evaluations; each input uniform over its training range`);
  } catch (e) {
    setStatus(status, e.message, 'bad');
  }
}

// Bars of S1 and ST per input, each with its 95% interval.
function drawSensitivity(s) {
  const svg = $('#sensitivity-chart');
  const W = 760, H = 240, pad = { l: 48, r: 16, t: 26, b: 30 };
  const top = Math.max(1, ...s.indices.map((r) => Math.max(r.S1 + r.S1_conf, r.ST + r.ST_conf)));
  const bottom = Math.min(0, ...s.indices.map((r) => Math.min(r.S1 - r.S1_conf, r.ST - r.ST_conf)));
  const y = (v) => pad.t + (1 - (v - bottom) / (top - bottom)) * (H - pad.t - pad.b);
  const parts = [];
  for (const v of [0, 0.5, 1]) {
    parts.push(svgElement('line', { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), stroke: '#dde1e8' }));
    parts.push(svgElement('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)));
  }
  const group = (W - pad.l - pad.r) / s.indices.length;
  const bar = Math.min(36, group / 3);
  s.indices.forEach((r, i) => {
    const centre = pad.l + group * (i + 0.5);
    [['S1', r.S1, r.S1_conf, '#2463c7', -1], ['ST', r.ST, r.ST_conf, '#d9731a', 1]].forEach(([name, v, conf, color, side]) => {
      const x = centre + (side < 0 ? -bar - 2 : 2);
      const rect = svgElement('rect', {
        class: 'bar', x, y: Math.min(y(v), y(0)), width: bar, height: Math.abs(y(0) - y(v)), fill: color,
        'data-input': r.input, 'data-index': name, 'data-value': v, 'data-conf': conf,
      });
      rect.append(svgElement('title', {}, `${r.input} ${name} = ${fmt(v, 4)} ± ${fmt(conf, 3)}`));
      parts.push(rect);
      const mid = x + bar / 2;
      parts.push(svgElement('path', {
        class: 'interval', d: `M${mid - 5},${y(v + conf)}H${mid + 5}M${mid},${y(v + conf)}V${y(v - conf)}M${mid - 5},${y(v - conf)}H${mid + 5}`,
        stroke: '#1d2330', fill: 'none',
      }));
    });
    parts.push(svgElement('text', { x: centre, y: H - 10, 'text-anchor': 'middle' }, r.input));
  });
  parts.push(svgElement('text', { x: pad.l, y: 16, fill: '#2463c7' }, '■ first order S1'));
  parts.push(svgElement('text', { x: pad.l + 130, y: 16, fill: '#d9731a' }, '■ total effect ST'));
  parts.push(svgElement('text', { x: W - pad.r, y: 16, 'text-anchor': 'end' }, 'bars: 95% bootstrap intervals'));
  svg.replaceChildren(...parts);
  svg.dataset.model = explore.model.id;
}

// One slider per held input (all but the sliced one), over its range.
function buildHeldInputs() {
  const m = explore.model;
  const sliced = $('#slice-input').value;
  const box = $('#held-inputs');
  box.replaceChildren();
  m.features.forEach((name, i) => {
    if (name === sliced) return;
    const [lo, hi] = explore.ranges[name];
    const label = document.createElement('label');
    label.textContent = name;
    label.htmlFor = `held-${name}`;
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.id = `held-${name}`;
    slider.min = lo;
    slider.max = hi;
    slider.step = hi > lo ? (hi - lo) / 200 : 'any';
    slider.value = explore.at[i];
    const shown = document.createElement('output');
    shown.textContent = fmt(explore.at[i], 4);
    slider.addEventListener('input', () => {
      explore.at[i] = Number(slider.value);
      shown.textContent = fmt(explore.at[i], 4);
      requestSlice();
    });
    box.append(label, slider, shown);
  });
}

// Asks for the slice at the sliders' point; while one request is in flight, the latest
// position waits for it, so that dragging a slider never queues a pile of requests.
async function requestSlice() {
  const m = explore.model;
  if (!m) return;
  if (explore.busy) { explore.pending = true; return; }
  explore.busy = true;
  const sequence = ++explore.sequence;
  const input = $('#slice-input').value || m.features[0];
  const body = { slice: input };
  if (explore.at) {
    body.at = {};
    m.features.forEach((name, i) => { if (name !== input) body.at[name] = explore.at[i]; });
  }
  const status = $('#slice-status');
  try {
    const s = await api(`/api/v1/models/${m.id}/slice`, json(body));
    if (explore.model !== m || sequence !== explore.sequence) return;
    const fresh = explore.ranges === null;
    explore.ranges = s.ranges;
    explore.at = s.at;
    if (fresh || $('#held-inputs').dataset.sliced !== input) {
      buildHeldInputs();
      $('#held-inputs').dataset.sliced = input;
    }
    drawSlice(s);
    setStatus(status, s.slice.std ? 'band: ±1.96 std' : 'no band: this model has no std (train an ensemble or auto)');
  } catch (e) {
    setStatus(status, e.message, 'bad');
  } finally {
    explore.busy = false;
    if (explore.pending) { explore.pending = false; requestSlice(); }
  }
}

function drawSlice(s) {
  const svg = $('#slice-chart');
  const W = 760, H = 280, pad = { l: 62, r: 16, t: 24, b: 36 };
  const { x, prediction: mean, std } = s.slice;
  const lower = std ? mean.map((v, i) => v - Z95 * std[i]) : mean;
  const upper = std ? mean.map((v, i) => v + Z95 * std[i]) : mean;
  let lo = Math.min(...lower), hi = Math.max(...upper);
  if (hi === lo) { lo -= 1; hi += 1; }
  const [x0, x1] = [x[0], x[x.length - 1]];
  const px = (v) => pad.l + ((v - x0) / (x1 - x0 || 1)) * (W - pad.l - pad.r);
  const py = (v) => pad.t + (1 - (v - lo) / (hi - lo)) * (H - pad.t - pad.b);
  const parts = [];
  for (const v of ticks(lo, hi)) {
    parts.push(svgElement('line', { x1: pad.l, x2: W - pad.r, y1: py(v), y2: py(v), stroke: '#dde1e8' }));
    parts.push(svgElement('text', { x: pad.l - 6, y: py(v) + 4, 'text-anchor': 'end' }, fmt(v, 4)));
  }
  for (const v of ticks(x0, x1)) parts.push(svgElement('text', { x: px(v), y: H - 18, 'text-anchor': 'middle' }, fmt(v, 4)));
  parts.push(svgElement('text', { x: (pad.l + W - pad.r) / 2, y: H - 4, 'text-anchor': 'middle' }, s.slice.input));
  if (std) {
    const d = x.map((v, i) => `${i ? 'L' : 'M'}${px(v)},${py(upper[i])}`).join('')
      + x.map((v, i) => i).reverse().map((i) => `L${px(x[i])},${py(lower[i])}`).join('') + 'Z';
    parts.push(svgElement('path', { id: 'slice-band', d, fill: '#2463c7', 'fill-opacity': 0.15, stroke: 'none', 'data-std': JSON.stringify(std) }));
  }
  const d = x.map((v, i) => `${i ? 'L' : 'M'}${px(v)},${py(mean[i])}`).join('');
  parts.push(svgElement('path', {
    id: 'slice-curve', d, fill: 'none', stroke: '#2463c7', 'stroke-width': 2,
    'data-x': JSON.stringify(x), 'data-y': JSON.stringify(mean),
  }));
  const held = s.inputs.filter((n) => n !== s.slice.input).map((n) => `${n}=${fmt(s.at[s.inputs.indexOf(n)], 4)}`).join(', ');
  parts.push(svgElement('text', { x: pad.l, y: 15 }, `${s.target} along ${s.slice.input}; held: ${held}`));
  svg.replaceChildren(...parts);
  svg.dataset.model = explore.model.id;
  svg.dataset.input = s.slice.input;
  svg.dataset.at = JSON.stringify(s.at);
}

// ---- start -----------------------------------------------------------------------------

async function start() {
  try {
    const health = await api('/api/v1/health');
    $('#health').textContent = `server ${health.version}`;
    state.options = (await api('/api/v1/hyperparameters')).options;
    buildParams();
    await loadDatasets();
    await loadModels();
    $('#auth').hidden = true;
  } catch (e) {
    $('#health').textContent = e.message;
    $('#health').className = 'bad';
  }
  drawChart();
  window.appReady = true;
}

document.addEventListener('DOMContentLoaded', () => {
  $('#upload').addEventListener('click', upload);
  $('#dataset-select').addEventListener('change', showDataset);
  $('#dataset-delete').addEventListener('click', deleteDataset);
  $('#train').addEventListener('click', train);
  $('#cancel').addEventListener('click', cancel);
  $('#model-select').addEventListener('change', showModel);
  $('#slice-input').addEventListener('change', () => requestSlice());
  $('#point-form').addEventListener('submit', predictPoint);
  $('#predict-batch').addEventListener('click', predictBatch);
  $('#model-download').addEventListener('click', () => downloadModel().catch((e) => setStatus($('#batch-status'), e.message, 'bad')));
  $('#model-delete').addEventListener('click', () => deleteModel().catch((e) => setStatus($('#batch-status'), e.message, 'bad')));
  $('#auth-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.token = $('#token').value.trim();
    sessionStorage.setItem('fivedreg-token', state.token);
    window.appReady = false;
    start();
  });
  start();
});
